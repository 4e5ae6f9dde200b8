package org.convgrad.spark.commit;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.util.ShutdownHookManager;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.task.TaskCommit;
import org.convgrad.spark.io.HadoopChannels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction0;
import scala.runtime.BoxedUnit;

/**
 * The job's output commit protocol, over any Hadoop file system.
 *
 * <ol>
 *   <li>{@link #setupJob()}: the output directory must not exist (or be empty); attempts write
 *       under {@code OUT/_temporary/JOB/}, each under its own name ({@link #attemptPath}).
 *   <li>Tasks report what they wrote ({@link TaskCommit}); Spark accepts one successful attempt
 *       per shard, and only that attempt's file is committed.
 *   <li>{@link #commit}: checks that every shard is there exactly once and that each file is
 *       as long as its attempt said, renames each committed attempt to {@code part-NNNNN.arrow},
 *       writes {@code manifest.json}, removes {@code _temporary} (which still holds the files
 *       of failed, killed or speculative losers) and writes {@code _SUCCESS}, last.
 *   <li>{@link #abortJob()} removes what the job wrote; no {@code _SUCCESS} is left. A JVM that
 *       stops before the commit aborts too ({@link #abortOnShutdown()}); one that stops during
 *       it lets it end, for a while: the output is then complete with {@code _SUCCESS}, or, when
 *       the JVM halts first, holds parts without {@code _SUCCESS}.
 * </ol>
 */
public final class JobCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(JobCommitter.class);

  public static final String TEMPORARY = "_temporary";
  public static final String MANIFEST = "manifest.json";
  public static final String SUCCESS = "_SUCCESS";
  static final long SHUTDOWN_WAIT_SECONDS = 10;

  private final Path output;
  private final Configuration conf;
  private final String jobId;
  private final FileSystem fs;
  private boolean createdOutput;
  /** Held by a commit or an abort: a shutdown hook waits for it a while, never for ever. */
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Path> committed = new ArrayList<>(); // guarded by lock
  private boolean succeeded; // guarded by lock: _SUCCESS written
  private boolean aborted; // guarded by lock

  public JobCommitter(String output, Configuration conf, String jobId) throws IOException {
    Path p = new Path(output);
    this.fs = HadoopChannels.fileSystem(p, conf); // file: without .crc files
    this.output = fs.makeQualified(p);
    this.conf = conf;
    this.jobId = jobId;
  }

  public Path output() {
    return output;
  }

  /** Where this job's attempts write. */
  public Path attemptDir() {
    return new Path(new Path(output, TEMPORARY), jobId);
  }

  /** The name under which one task attempt writes its part. */
  public static String attemptPath(String attemptDir, int shard, int attemptNumber, long taskAttemptId) {
    return attemptDir + "/" + partName(shard) + ".attempt-" + attemptNumber + "-tid" + taskAttemptId;
  }

  public static String partName(int shard) {
    return String.format("part-%05d.arrow", shard);
  }

  /** Checks the output location and creates the attempts' directory. */
  public void setupJob() throws IOException {
    if (fs.exists(output)) {
      FileStatus st = fs.getFileStatus(output);
      if (!st.isDirectory()) {
        throw new DatasetException("--output " + output + " exists and is not a directory");
      }
      if (fs.listStatus(output).length > 0) {
        throw new DatasetException("--output " + output + " exists and is not empty; choose a new directory");
      }
    } else {
      createdOutput = true;
    }
    if (!fs.mkdirs(attemptDir())) {
      throw new IOException("cannot create " + attemptDir());
    }
  }

  /**
   * Commits the accepted attempts (one per shard, any order), writes the manifest and then
   * {@code _SUCCESS}: one step, which an abort never cuts in two.
   *
   * @return the committed parts in sample order
   */
  public List<TaskCommit> commit(List<TaskCommit> accepted, int shards, long expectedSamples, Manifest manifest)
      throws IOException {
    lock.lock();
    try {
      if (aborted) {
        throw new IOException("the job was aborted (the JVM is shutting down): nothing of it was left in " + output);
      }
      List<TaskCommit> parts = commitParts(accepted, shards, expectedSamples, manifest);
      try (OutputStream out = fs.create(new Path(output, SUCCESS), true)) {
        out.flush();
      }
      succeeded = true;
      return parts;
    } finally {
      lock.unlock();
    }
  }

  private List<TaskCommit> commitParts(
      List<TaskCommit> accepted, int shards, long expectedSamples, Manifest manifest) throws IOException {
    TaskCommit[] byShard = new TaskCommit[shards];
    for (TaskCommit c : accepted) {
      if (c.shard < 0 || c.shard >= shards) {
        throw new IllegalStateException("commit for unknown shard " + c.shard);
      }
      if (byShard[c.shard] != null) {
        throw new IllegalStateException("two committed attempts for shard " + c.shard);
      }
      byShard[c.shard] = c;
    }
    long total = 0;
    List<TaskCommit> parts = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      TaskCommit c = byShard[i];
      if (c == null) {
        throw new IllegalStateException("no committed attempt for shard " + i);
      }
      Path from = new Path(c.attemptPath);
      long len = fs.getFileStatus(from).getLen();
      if (len != c.bytes) {
        throw new IOException(from + " holds " + len + " bytes but its attempt wrote " + c.bytes);
      }
      total += c.samples;
      parts.add(c);
    }
    if (total != expectedSamples) {
      throw new IllegalStateException("committed attempts hold " + total + " samples, expected " + expectedSamples);
    }
    for (TaskCommit c : parts) {
      Path to = new Path(output, partName(c.shard));
      if (!fs.rename(new Path(c.attemptPath), to)) {
        throw new IOException("cannot rename " + c.attemptPath + " to " + to);
      }
      committed.add(to);
    }
    manifest.withParts(parts);
    manifest.write(fs, new Path(output, MANIFEST), new Path(attemptDir(), MANIFEST + ".tmp"));
    committed.add(new Path(output, MANIFEST));
    fs.delete(new Path(output, TEMPORARY), true);
    return parts;
  }

  /**
   * Until the returned handle is closed, a JVM that shuts down (Ctrl-C, SIGTERM) aborts this job
   * unless it succeeded. Spark's own hook stops the SparkContext, which cancels the tasks; the job's
   * thread, whose failure would abort, may not run again before the JVM halts. This hook runs after
   * the context's (so no task of the job writes any more) and before Hadoop closes its file systems.
   * A commit under way is let end: the hook waits for it at most {@link #SHUTDOWN_WAIT_SECONDS}, well
   * inside the 30 seconds Hadoop gives all of Spark's hooks, and then leaves it.
   */
  public AutoCloseable abortOnShutdown() {
    Object hook = ShutdownHookManager.addShutdownHook(
        ShutdownHookManager.SPARK_CONTEXT_SHUTDOWN_PRIORITY() - 1, new AbstractFunction0<BoxedUnit>() {
          @Override
          public BoxedUnit apply() {
            try {
              if (lock.tryLock(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)) {
                try {
                  abortLocked();
                } finally {
                  lock.unlock();
                }
              } else {
                LOG.warn("convgrad: the JVM is stopping during the commit of {}; it may be left without _SUCCESS", output);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return BoxedUnit.UNIT;
          }
        });
    return () -> ShutdownHookManager.removeShutdownHook(hook);
  }

  /**
   * Removes what this job wrote (its attempts, committed parts, manifest); leaves no _SUCCESS. Does
   * nothing once the job has succeeded; a commit after it fails.
   */
  public void abortJob() {
    lock.lock();
    try {
      abortLocked();
    } finally {
      lock.unlock();
    }
  }

  private void abortLocked() {
    if (succeeded) {
      return;
    }
    aborted = true;
    try {
      fs.delete(new Path(output, TEMPORARY), true);
      for (Path p : committed) {
        fs.delete(p, false);
      }
      fs.delete(new Path(output, SUCCESS), false);
      if (createdOutput && fs.exists(output) && fs.listStatus(output).length == 0) {
        fs.delete(output, false);
      }
    } catch (IOException e) {
      LOG.warn("could not clean up {} after a failed job: {}", output, e.toString());
    }
  }

  public Configuration conf() {
    return conf;
  }
}
