/**
 * What a run shows people: the live dashboard (the JDK's HTTP server on the driver, a page that
 * polls the run's record) and {@code report.html}, the same page with the final data inlined. The
 * charts are uPlot's (a WebJar, inlined). Depends on Jackson, Spark's listener API (per-task times)
 * and the worker package's {@code Evaluation}; the training loop feeds it through {@link
 * dev.fovea.driver.report.RunMonitor}.
 */
package dev.fovea.driver.report;
