package dev.fovea.driver.report;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * The training run's figures in Spark's metrics system, so that whatever sink the cluster already
 * uses (JMX, Prometheus, Graphite, CSV; {@code spark.metrics.conf.*}) shows them beside Spark's own:
 * a Spark plugin ({@code spark.plugins}, which Fovea's sessions set) whose driver part registers
 * gauges under the source {@code plugin.dev.fovea.driver.report.FoveaMetrics}: {@code round},
 * {@code epoch}, {@code loss}, {@code imagesPerSecond}, {@code roundSeconds}, {@code
 * computeSeconds}, {@code syncSeconds} (round minus compute), {@code learningRate}, {@code
 * testAccuracy}, {@code testLoss}. The values are the last round's and the last evaluation's of the
 * run in progress in this driver (NaN before the first); {@link RunMonitor} sets them.
 */
public final class FoveaMetrics implements SparkPlugin {

  /** The gauges' names, in the order of {@link #values}. */
  static final String[] NAMES = {"round", "epoch", "loss", "imagesPerSecond", "roundSeconds", "computeSeconds",
      "syncSeconds", "learningRate", "testAccuracy", "testLoss"};
  private static final AtomicLong[] VALUES = new AtomicLong[NAMES.length];

  static {
    for (int i = 0; i < VALUES.length; i++) {
      VALUES[i] = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    }
  }

  private static void set(int i, double v) {
    VALUES[i].set(Double.doubleToLongBits(v));
  }

  /** The current value of gauge {@code name}. */
  public static double value(String name) {
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i].equals(name)) {
        return Double.longBitsToDouble(VALUES[i].get());
      }
    }
    throw new IllegalArgumentException("no Fovea gauge '" + name + "'");
  }

  static void round(long round, int epoch, double loss, long images, double seconds, double computeSeconds,
      double lr) {
    set(0, round);
    set(1, epoch);
    set(2, loss);
    set(3, seconds > 0 ? images / seconds : Double.NaN);
    set(4, seconds);
    set(5, computeSeconds);
    set(6, seconds - computeSeconds);
    set(7, lr);
  }

  static void evaluation(double accuracy, double loss) {
    set(8, accuracy);
    set(9, loss);
  }

  @Override
  public DriverPlugin driverPlugin() {
    return new DriverPlugin() {
      @Override
      public Map<String, String> init(org.apache.spark.SparkContext sc, PluginContext ctx) {
        return Collections.emptyMap();
      }

      @Override
      public void registerMetrics(String appId, PluginContext ctx) {
        MetricRegistry registry = ctx.metricRegistry();
        for (int i = 0; i < NAMES.length; i++) {
          int k = i;
          registry.register(NAMES[i], (Gauge<Double>) () -> Double.longBitsToDouble(VALUES[k].get()));
        }
      }
    };
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return null;
  }
}
