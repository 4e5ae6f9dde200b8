package org.convgrad.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** {@link Box#slabs}: how an array beyond one tensor is moved a box at a time; which boxes are one run. */
class BoxTest {
  @Test
  void aBoxIsOneRunWhenTheAxesItCutsAreOnlyTheOuterOnesOfLengthOneAndTheFirstItSpansInPart() {
    Shape nhwc = Shape.of(3, 5, 7, 4);
    assertEquals(1 * 140 + 2 * 28, Box.of("t", nhwc, new long[] {1, 2, 0, 0}, new long[] {1, 3, 7, 4}).contiguousStart(),
        "rows of one sample");
    assertEquals(140, Box.of("t", nhwc, new long[] {1, 0, 0, 0}, new long[] {2, 5, 7, 4}).contiguousStart(), "whole samples");
    assertEquals(1 * 140 + 2 * 28 + 3 * 4 + 1,
        Box.of("t", nhwc, new long[] {1, 2, 3, 1}, new long[] {1, 1, 1, 2}).contiguousStart(), "channels of one pixel");
    assertEquals(-1, Box.of("t", nhwc, new long[] {0, 2, 0, 0}, new long[] {2, 3, 7, 4}).contiguousStart(),
        "rows of two samples");
    assertEquals(-1, Box.of("t", nhwc, new long[] {0, 0, 0, 0}, new long[] {1, 2, 7, 2}).contiguousStart(),
        "some channels of two rows");
    assertEquals(-1, Box.of("t", nhwc, new long[] {0, 0, 0, 0}, new long[] {1, 0, 7, 4}).contiguousStart(), "empty");
  }

  @Test
  void slabsCoverTheArrayOnceInCOrderEachWithinTheLimit() {
    Shape[] shapes = {Shape.of(13), Shape.of(5, 7), Shape.of(1, 9, 7, 3), Shape.of(2, 3, 9, 7), Shape.of(3, 1, 1, 4)};
    for (Shape shape : shapes) {
      for (long max : new long[] {1, 2, 5, 21, 22, 63, 64, 1000}) {
        List<Long> elements = new ArrayList<>();
        for (Box slab : Box.slabs(shape, max)) {
          assertTrue(slab.shape().elementCount() <= max, slab.shape() + " within " + max);
          assertTrue(slab.shape().elementCount() > 0, "no empty slab");
          slab.forEachRun((element, at, length) -> {
            for (int i = 0; i < length; i++) {
              elements.add(element + i);
            }
          });
        }
        assertEquals(shape.elementCount(), elements.size(), shape + " in slabs of " + max);
        for (int i = 0; i < elements.size(); i++) {
          assertEquals(i, elements.get(i), shape + " in slabs of " + max + ": element " + i + " in C order");
        }
      }
    }
  }

  @Test
  void anImageOfOneSampleIsCutIntoRowsAndEmptyArraysIntoNothing() {
    List<Box> slabs = Box.slabs(Shape.of(1, 46_341, 46_341, 1), 1 << 22);
    assertEquals(Shape.of(1, 90, 46_341, 1), slabs.get(0).shape()); // 90 whole rows: 4,170,690 elements
    assertEquals((46_341 + 89) / 90, slabs.size());
    assertTrue(Box.slabs(Shape.of(2, 0, 3), 8).isEmpty());
    assertThrows(InvalidArgumentException.class, () -> Box.slabs(Shape.of(4), 0));
  }

  @Test
  void aBoxIsOneRunWhenOnlyItsOuterAxisIsCutAndItsStartIsALong() {
    Shape image = Shape.of(3, 46_341, 46_341, 1);
    assertEquals(46_341L * 46_341, Box.of("x", image, new long[] {1, 0, 0, 0}, new long[] {1, 46_341, 46_341, 1})
        .contiguousStart(), "one whole sample, 2^31 + 4633 elements: one run, no int overflow");
    assertEquals(0, Box.of("x", image, new long[] {0, 0, 0, 0}, image.toArray()).contiguousStart());
    assertEquals(2 * 46_341L * 46_341 + 5 * 46_341L,
        Box.of("x", image, new long[] {2, 5, 0, 0}, new long[] {1, 7, 46_341, 1}).contiguousStart(), "rows of a sample");
    assertEquals(-1, Box.of("x", image, new long[] {0, 5, 0, 0}, new long[] {2, 7, 46_341, 1}).contiguousStart(),
        "rows of two samples");
    assertEquals(-1, Box.of("x", image, new long[] {0, 0, 1, 0}, new long[] {1, 2, 3, 1}).contiguousStart(),
        "a part of each of two rows");
    assertEquals(46_341 + 1, Box.of("x", image, new long[] {0, 1, 1, 0}, new long[] {1, 1, 3, 1}).contiguousStart(),
        "a part of one row");
    assertEquals(-1, Box.of("x", image, new long[] {0, 0, 0, 0}, new long[] {1, 0, 3, 1}).contiguousStart(), "empty");
  }
}
