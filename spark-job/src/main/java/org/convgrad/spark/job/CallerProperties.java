package org.convgrad.spark.job;

import org.apache.spark.SparkContext;
import org.jspecify.annotations.Nullable;

/**
 * The thread-local Spark properties a job sets for its own Spark jobs (description, interrupt on
 * cancel, call site), as the caller had them, to put back when the job ends: a notebook paragraph's
 * own settings (Zeppelin's job group and description) outlive the convgrad job it ran.
 */
record CallerProperties(
    @Nullable String description, @Nullable String interruptOnCancel, @Nullable String callSiteShort,
    @Nullable String callSiteLong) {
  private static final String DESCRIPTION = "spark.job.description";
  private static final String INTERRUPT = "spark.job.interruptOnCancel";
  private static final String CALL_SITE_SHORT = "callSite.short";
  private static final String CALL_SITE_LONG = "callSite.long";

  static CallerProperties of(SparkContext sc) {
    return new CallerProperties(sc.getLocalProperty(DESCRIPTION), sc.getLocalProperty(INTERRUPT),
        sc.getLocalProperty(CALL_SITE_SHORT), sc.getLocalProperty(CALL_SITE_LONG));
  }

  /** Sets the properties back (a null one is removed, as it was). */
  void restore(SparkContext sc) {
    sc.setLocalProperty(DESCRIPTION, description);
    sc.setLocalProperty(INTERRUPT, interruptOnCancel);
    sc.setLocalProperty(CALL_SITE_SHORT, callSiteShort);
    sc.setLocalProperty(CALL_SITE_LONG, callSiteLong);
  }
}
