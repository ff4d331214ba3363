package dev.fovea.kernels;

/**
 * Error messages are one line: the command line prints each as {@code fovea: error: ...} and exits
 * with 2, and logs and tests read it as one line. Messages quote what came from a file (a layer
 * type, a shard path, a field), and a crafted file may put a line break or another control
 * character there; {@link #of} writes those as escapes instead.
 */
public final class OneLine {
  private OneLine() {}

  /**
   * {@code message} with every control character written as an escape ({@code \n}, {@code \r},
   * {@code \t}, else {@code \\uXXXX}); null stays null.
   */
  public static String of(String message) {
    if (message == null) {
      return null;
    }
    int i = 0;
    while (i < message.length() && !Character.isISOControl(message.charAt(i))) {
      i++;
    }
    if (i == message.length()) {
      return message;
    }
    StringBuilder b = new StringBuilder(message.length() + 8).append(message, 0, i);
    for (; i < message.length(); i++) {
      char c = message.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (Character.isISOControl(c)) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
