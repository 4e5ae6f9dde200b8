package org.convgrad.spark.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.io.SampleDataset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When an executor's engines are built, shared, kept and closed ({@link ExecutorEngines}). */
class ExecutorEnginesLifetimeTest {
  private static final AtomicLong IDS = new AtomicLong(-1_000_000); // far from Spark's broadcast ids
  private static final long HOUR = 3_600_000;
  private final List<Long> used = new ArrayList<>();

  @AfterEach
  void retireWhatTheTestBuilt() {
    used.forEach(ExecutorEngines::retire);
  }

  private long job() {
    long id = IDS.decrementAndGet();
    used.add(id);
    return id;
  }

  private static JobSpec spec(long id, long idleMillis) {
    return spec(id, idleMillis, "cpu");
  }

  private static JobSpec spec(long id, long idleMillis, String engine) {
    BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(6, 6).strides(1).padding(Padding.SAME));
    SampleDataset dataset = new SampleDataset("test", SampleDataset.Format.ARROW, List.of(), new long[] {6, 6, 4},
        DType.FLOAT32);
    Tensor filter = Tensor.ofFloat32(Shape.of(3, 3, 2, 4), new float[3 * 3 * 2 * 4]);
    return new JobSpec(new Configuration(false), "job" + id, op, dataset, filter, engine, 1, 1 << 20, idleMillis, "",
        false, "", 0, -1, false);
  }

  private static JobEngine held(long id, long idleMillis) {
    return ExecutorEngines.acquire(id, () -> spec(id, idleMillis), null, ExecutorResources.CPU, 1);
  }

  private static boolean closesWithin(JobEngine h, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (!h.isClosed() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return h.isClosed();
  }

  @Test
  void jobsWhoseTasksTakeTurnsKeepTheirEngines() {
    long a = job();
    long b = job();
    int builds = ExecutorEngines.builds();
    JobEngine first = held(a, HOUR);
    JobEngine other = held(b, HOUR); // chained DataFrame calls: both in one task
    ExecutorEngines.release(first);
    ExecutorEngines.release(other);
    JobEngine again = held(a, HOUR); // the next task
    ExecutorEngines.release(again);
    assertSame(first, again);
    JobEngine otherAgain = held(b, HOUR);
    ExecutorEngines.release(otherAgain);
    assertSame(other, otherAgain);
    assertEquals(2, ExecutorEngines.builds() - builds, "one engine per job, none rebuilt");
    assertFalse(first.isClosed());
  }

  @Test
  void jobsBeyondTheIdleLimitKeepTheirEnginesWhileTheyTakeTurns() {
    List<Long> jobs = new ArrayList<>();
    List<JobEngine> first = new ArrayList<>();
    for (int i = 0; i < ExecutorEngines.MAX_IDLE + 2; i++) { // six chained DataFrame calls in one task
      jobs.add(job());
      first.add(held(jobs.get(i), HOUR));
    }
    first.forEach(ExecutorEngines::release); // the task ends: six idle jobs
    int builds = ExecutorEngines.builds();
    for (int i = 0; i < jobs.size(); i++) { // the next task, within the grace period
      JobEngine h = held(jobs.get(i), HOUR);
      assertSame(first.get(i), h, "job " + i);
      ExecutorEngines.release(h);
    }
    assertEquals(0, ExecutorEngines.builds() - builds);
  }

  @Test
  void anEngineNoTaskUsesClosesAfterItsIdleTimeoutWithoutAnotherTaskComing() throws InterruptedException {
    JobEngine h = held(job(), 50);
    JobEngine kept = held(job(), HOUR);
    ExecutorEngines.release(kept);
    Thread.sleep(200);
    assertFalse(h.isClosed(), "never while a task holds it");
    ExecutorEngines.release(h);
    assertTrue(closesWithin(h, 10_000), "closed by the reaper once idle for 50 ms");
    assertThrows(IllegalStateException.class, () -> h.engine.pack(h.op(1), h.filter), "its threads are gone");
    assertFalse(kept.isClosed(), "an engine within its idle timeout stays");
  }

  @Test
  void aGpuAddressThatIsNoCudaOrdinalLeavesAutoOnTheCpuAndRefusesGpuInOneLine() {
    // A discovery script's UUID, or a failing nvidia-smi's complaint, instead of an ordinal.
    for (String address : new String[] {"GPU-8f3c2a", "NVIDIA-SMIhasfailed", " 1", "-1"}) {
      long auto = job();
      JobEngine h = ExecutorEngines.acquire(auto, () -> spec(auto, HOUR, "auto"), null, "gpu " + address, 1);
      assertEquals(org.convgrad.engine.EngineKind.SIMD, h.engine.kind(), address);
      ExecutorEngines.release(h);
      assertTrue(ExecutorResources.unusableReason(address).startsWith("Spark assigned GPU address '" + address
          + "', which is not a CUDA device ordinal"), ExecutorResources.unusableReason(address));
      long gpu = job();
      org.convgrad.engine.EngineUnavailableException e = assertThrows(
          org.convgrad.engine.EngineUnavailableException.class,
          () -> ExecutorEngines.acquire(gpu, () -> spec(gpu, HOUR, "gpu"), null, "gpu " + address, 1));
      assertEquals("engine gpu: " + ExecutorResources.unusableReason(address), e.getMessage());
    }
    assertEquals(3, ExecutorResources.ordinal("3"));
  }

  @Test
  void pastTheIdleLimitTheLeastRecentlyUsedIdleJobsCloseAfterTheGracePeriod() throws InterruptedException {
    List<JobEngine> holders = new ArrayList<>();
    for (int i = 0; i < ExecutorEngines.MAX_IDLE + 2; i++) {
      long id = job();
      JobEngine h = held(id, HOUR);
      JobEngine gpu = ExecutorEngines.acquire(id, () -> spec(id, HOUR), null, "gpu 0", 1);
      ExecutorEngines.release(h);
      ExecutorEngines.release(gpu);
      holders.add(h);
      holders.add(gpu);
      Thread.sleep(2); // an order of last use
    }
    assertTrue(closesWithin(holders.get(0), 10_000));
    assertTrue(closesWithin(holders.get(1), 10_000), "a job's engines go together");
    assertTrue(closesWithin(holders.get(3), 10_000));
    for (JobEngine h : holders.subList(4, holders.size())) {
      assertFalse(h.isClosed(), "the " + ExecutorEngines.MAX_IDLE + " jobs most recently used stay");
    }
  }

  /**
   * Tasks on threads of their own, the first of which builds the engine of {@code id} slowly (a
   * large broadcast's fetch, a GPU's start) from {@code then}, until {@link #finish}.
   */
  private static final class SlowBuild implements AutoCloseable {
    private final CountDownLatch building = new CountDownLatch(1);
    private final CountDownLatch go = new CountDownLatch(1);
    private final ExecutorService tasks = Executors.newFixedThreadPool(2);
    final Future<JobEngine> builder;

    SlowBuild(long id, Supplier<JobSpec> then) throws InterruptedException {
      builder = task(id, () -> {
        building.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return then.get();
      });
      assertTrue(building.await(10, TimeUnit.SECONDS), "the build started");
    }

    /** Another task that acquires the engine of {@code id}, built from {@code spec} if it must build. */
    Future<JobEngine> task(long id, Supplier<JobSpec> spec) {
      return tasks.submit(() -> ExecutorEngines.acquire(id, spec, null, ExecutorResources.CPU, 1));
    }

    void finish() {
      go.countDown();
    }

    @Override
    public void close() {
      go.countDown();
      tasks.shutdownNow();
    }
  }

  /** Waits until a task waits for the build of {@code id}'s engine. */
  private static void awaitWaiter(long id) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (ExecutorEngines.waitingFor(id, ExecutorResources.CPU) < 1) {
      assertTrue(System.nanoTime() < deadline, "no task waits for the build");
      Thread.sleep(5);
    }
  }

  /** {@code t}, thrown where the compiler sees no checked exception, as Scala code (a broadcast's fetch) throws. */
  @SuppressWarnings("unchecked")
  private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
    throw (T) t;
  }

  @Test
  void aSlowBuildHoldsUpOnlyTheTasksOfItsOwnJobWhichWaitForIt() throws Exception {
    long slow = job();
    long other = job();
    int builds = ExecutorEngines.builds();
    try (SlowBuild build = new SlowBuild(slow, () -> spec(slow, HOUR))) {
      Future<JobEngine> second = build.task(slow, () -> {
        throw new AssertionError("a second build of one job's engine");
      });
      awaitWaiter(slow);
      JobEngine o = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> held(other, HOUR),
          "another job's task is not held up by the build");
      ExecutorEngines.release(o);
      build.finish();
      JobEngine a = build.builder.get(10, TimeUnit.SECONDS);
      JobEngine b = second.get(10, TimeUnit.SECONDS);
      assertSame(a, b);
      assertEquals(2, ExecutorEngines.builds() - builds);
      ExecutorEngines.retire(slow);
      ExecutorEngines.release(a);
      assertFalse(a.isClosed(), "the waiting task holds it too");
      ExecutorEngines.release(b);
      assertTrue(a.isClosed());
    }
  }

  @Test
  void aFailedBuildFailsItsOwnTaskOnlyAndTheTaskWaitingForItBuildsAgain() throws Exception {
    long id = job();
    try (SlowBuild build = new SlowBuild(id, () -> {
      throw sneaky(new IOException("broadcast_7 lost"));
    })) {
      Future<JobEngine> second = build.task(id, () -> spec(id, HOUR));
      awaitWaiter(id);
      build.finish();
      ExecutionException e = assertThrows(ExecutionException.class, () -> build.builder.get(10, TimeUnit.SECONDS));
      assertEquals("broadcast_7 lost", e.getCause().getMessage());
      JobEngine h = second.get(10, TimeUnit.SECONDS);
      ExecutorEngines.release(h);
      assertFalse(h.isClosed());
      JobEngine again = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> held(id, HOUR));
      assertSame(h, again, "no build left behind");
      ExecutorEngines.release(again);
    }
  }

  @Test
  void aJobThatEndsWhileItsEngineIsBuiltLeavesNoEngineOpen() throws Exception {
    long id = job();
    try (SlowBuild build = new SlowBuild(id, () -> spec(id, HOUR))) {
      ExecutorEngines.retire(id); // the job ends on the driver while a straggler's engine is built
      build.finish();
      JobEngine h = build.builder.get(10, TimeUnit.SECONDS);
      assertFalse(h.isClosed(), "its task still runs on it");
      ExecutorEngines.release(h);
      assertTrue(h.isClosed());
      JobEngine late = held(id, HOUR); // another straggler of the ended job
      ExecutorEngines.release(late);
      assertTrue(late.isClosed(), "nothing of an ended job stays open");
    }
  }

  @Test
  void aRetiredJobsEngineClosesWhenItsLastTaskEnds() {
    long id = job();
    JobEngine one = held(id, HOUR);
    JobEngine two = held(id, HOUR);
    assertSame(one, two, "tasks of a job share its engine");
    ExecutorEngines.retire(id);
    ExecutorEngines.release(one);
    assertFalse(one.isClosed(), "a task still runs on it");
    ExecutorEngines.release(two);
    assertTrue(one.isClosed());
    assertEquals(0, ExecutorEngines.open(one.spec.jobId));
    JobEngine later = held(id, HOUR);
    ExecutorEngines.release(later);
    assertNotSame(one, later, "a task after the end builds anew");
  }
}
