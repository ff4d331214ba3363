package dev.fovea.data;

/**
 * Bad input data: a missing, truncated or malformed file, or counts that disagree. The message is
 * one line naming the file and the problem; the command line prints it and exits non-zero.
 */
public class DataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(dev.fovea.kernels.OneLine.of(message));
  }

  public DataException(String message, Throwable cause) {
    super(dev.fovea.kernels.OneLine.of(message), cause);
  }
}
