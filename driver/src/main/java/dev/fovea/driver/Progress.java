package dev.fovea.driver;

import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * What a run tells the person watching it. {@link #console} draws a live bar on a terminal and
 * writes plain lines (about ten per epoch) when the output is a file or a pipe.
 */
public interface Progress {

  /** A line of information or a warning. */
  void message(String line);

  /** After each round. */
  void round(int epoch, int epochs, int round, int rounds, double loss, double accuracy, double imagesPerSecond,
      double etaSeconds);

  /** After each epoch's evaluation. */
  void epoch(int epoch, int epochs, double trainLoss, double testAccuracy, double testLoss);

  /** Plain lines through {@code sink}, about ten per epoch. */
  static Progress lines(Consumer<String> sink) {
    return new Progress() {
      @Override
      public void message(String line) {
        sink.accept(line);
      }

      @Override
      public void round(int epoch, int epochs, int round, int rounds, double loss, double accuracy,
          double imagesPerSecond, double etaSeconds) {
        if (round % Math.max(1, rounds / 10) == 0 || round == rounds) {
          sink.accept(String.format("epoch %d/%d · round %d/%d · loss %.4f · %,.0f images/s · ETA %s", epoch, epochs,
              round, rounds, loss, imagesPerSecond, duration(etaSeconds)));
        }
      }

      @Override
      public void epoch(int epoch, int epochs, double trainLoss, double testAccuracy, double testLoss) {
        // a network trained towards target tensors has no accuracy: its loss is its test metric
        sink.accept(Double.isNaN(testAccuracy)
            ? String.format("epoch %d/%d done · train loss %.6f · test loss %.6f", epoch, epochs, trainLoss, testLoss)
            : String.format("epoch %d/%d done · train loss %.4f · test accuracy %.4f · test loss %.4f", epoch, epochs,
                trainLoss, testAccuracy, testLoss));
      }
    };
  }

  /** A live bar when {@code terminal}, else plain lines, on {@code out} with the prefix {@code fovea: }. */
  static Progress console(PrintWriter out, boolean terminal) {
    Progress plain = lines(l -> out.println("fovea: " + l));
    if (!terminal) {
      return plain;
    }
    return new Progress() {
      private boolean barShown;

      private void clearBar() {
        if (barShown) {
          out.print("\r\033[2K");
          barShown = false;
        }
      }

      @Override
      public void message(String line) {
        clearBar();
        plain.message(line);
      }

      @Override
      public void round(int epoch, int epochs, int round, int rounds, double loss, double accuracy,
          double imagesPerSecond, double etaSeconds) {
        int width = 24;
        int done = (int) Math.round(width * (double) round / rounds);
        String acc = Double.isNaN(accuracy) ? "" : String.format(" · acc %.4f", accuracy);
        out.printf("\r\033[2Kepoch %d/%d [%s%s] %d/%d · loss %.4f%s · %,.0f img/s · ETA %s", epoch, epochs,
            "#".repeat(done), ".".repeat(width - done), round, rounds, loss, acc, imagesPerSecond,
            duration(etaSeconds));
        out.flush();
        barShown = true;
      }

      @Override
      public void epoch(int epoch, int epochs, double trainLoss, double testAccuracy, double testLoss) {
        clearBar();
        plain.epoch(epoch, epochs, trainLoss, testAccuracy, testLoss);
      }
    };
  }

  /** {@code 1h02m}, {@code 3m05s} or {@code 12s}. */
  static String duration(double seconds) {
    if (!Double.isFinite(seconds) || seconds < 0) {
      return "?";
    }
    long s = Math.round(seconds);
    if (s >= 3600) {
      return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
