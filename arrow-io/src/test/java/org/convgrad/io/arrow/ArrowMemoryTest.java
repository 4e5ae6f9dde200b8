package org.convgrad.io.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test that works with Arrow memory: each test gets a fresh root allocator, closed after it, so
 * that Arrow memory a test leaks (a reader's or writer's buffers included) fails that test.
 */
abstract class ArrowMemoryTest {
  BufferAllocator allocator;

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }
}
