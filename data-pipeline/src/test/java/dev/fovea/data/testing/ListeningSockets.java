package dev.fovea.data.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TCP sockets that processes listen on, read from Linux's {@code /proc}: a process's socket
 * inodes from {@code /proc/PID/fd}, matched against the listening entries (state 0A) of {@code
 * /proc/net/tcp} and {@code /proc/net/tcp6}. No tool is spawned.
 */
public final class ListeningSockets {
  private ListeningSockets() {}

  /** A listening socket: owning PID, local address as text (e.g. 127.0.0.1, ::1, 0.0.0.0) and port. */
  public record Socket(long pid, String address, int port) {
    /** Whether only this machine can connect: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. */
    public boolean loopback() {
      return address.startsWith("127.") || address.equals("::1") || address.startsWith("::ffff:127.");
    }

    @Override
    public String toString() {
      return "pid " + pid + " listens on " + address + ":" + port;
    }
  }

  /** Every TCP socket that one of {@code pids} listens on. */
  public static List<Socket> of(Collection<Long> pids) throws IOException {
    Map<String, String[]> listening = new HashMap<>(); // inode -> {address, port}
    read(Path.of("/proc/net/tcp"), false, listening);
    read(Path.of("/proc/net/tcp6"), true, listening);
    List<Socket> out = new ArrayList<>();
    for (long pid : pids) {
      for (String inode : socketInodes(pid)) {
        String[] a = listening.get(inode);
        if (a != null) {
          out.add(new Socket(pid, a[0], Integer.parseInt(a[1])));
        }
      }
    }
    return out;
  }

  private static Set<String> socketInodes(long pid) throws IOException {
    Set<String> inodes = new HashSet<>();
    Path fd = Path.of("/proc", Long.toString(pid), "fd");
    if (!Files.isDirectory(fd)) {
      return inodes;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(fd)) {
      for (Path p : ds) {
        try {
          String target = Files.readSymbolicLink(p).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // the descriptor closed while listing
        }
      }
    }
    return inodes;
  }

  private static void read(Path table, boolean v6, Map<String, String[]> listening) throws IOException {
    if (!Files.exists(table)) {
      return;
    }
    List<String> lines = Files.readAllLines(table);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (!f[3].equals("0A")) { // TCP_LISTEN
        continue;
      }
      String[] local = f[1].split(":");
      listening.put(f[9], new String[] {v6 ? v6(local[0]) : v4(local[0]), Integer.toString(Integer.parseInt(local[1], 16))});
    }
  }

  /** /proc's IPv4 address: 8 hex digits of the address in host (little-endian) byte order. */
  private static String v4(String hex) {
    long a = Long.parseLong(hex, 16);
    return (a & 0xff) + "." + (a >> 8 & 0xff) + "." + (a >> 16 & 0xff) + "." + (a >> 24 & 0xff);
  }

  /** /proc's IPv6 address: four 32-bit words, each in host byte order. */
  private static String v6(String hex) {
    int[] b = new int[16];
    for (int w = 0; w < 4; w++) {
      long word = Long.parseLong(hex.substring(w * 8, w * 8 + 8), 16);
      for (int i = 0; i < 4; i++) {
        b[w * 4 + i] = (int) (word >> (8 * i) & 0xff);
      }
    }
    boolean zeros = true;
    for (int i = 0; i < 10; i++) {
      zeros &= b[i] == 0;
    }
    if (zeros && b[10] == 0xff && b[11] == 0xff) {
      return "::ffff:" + b[12] + "." + b[13] + "." + b[14] + "." + b[15];
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 16; i += 2) {
      s.append(i == 0 ? "" : ":").append(Integer.toHexString(b[i] << 8 | b[i + 1]));
    }
    String full = s.toString();
    if (full.equals("0:0:0:0:0:0:0:1")) {
      return "::1";
    }
    return full.equals("0:0:0:0:0:0:0:0") ? "::" : full;
  }
}
