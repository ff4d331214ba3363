package dev.fovea.driver.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Sizes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Everything needed to continue a run exactly: the parameters, the optimizer state, the data
 * cursor (epoch and round within it; the epoch plan is a pure function of the seed, so the cursor
 * is the whole random state), the history so far and the configuration it belongs to.
 *
 * <pre>
 *   8 bytes "FOVEACKP" · int32 version (1 or 2) · int32 L · L bytes JSON header
 *   int32 P · P float32 parameters · P float32 velocity · int32 B · B float32 buffers
 *   version 2 only: int32 W · W × P float32, every worker's own velocity (worker 0 first)
 *   int64 CRC-32 of everything before
 * </pre>
 *
 * Version 1 is written when the velocity is averaged (W would be 0), so such checkpoints read the
 * same with older code; version 2 when each worker keeps its own ({@code --optimizer-state local}),
 * where {@code velocity} holds their mean.
 *
 * @param round rounds completed so far in the whole run
 * @param epoch the epoch to continue in (from 0)
 * @param roundInEpoch the next round within that epoch (from 0)
 * @param config the run configuration's identity ({@code TrainConfig#identity()}); resume refuses
 *     a checkpoint of another configuration
 * @param history the history lines written so far
 * @param epochs the per-epoch lines written so far
 * @param params the flat parameter vector
 * @param velocity the optimizer state, laid out like the parameters
 * @param buffers the network's buffers (batch-norm running statistics)
 * @param workerVelocities every worker's own velocity (W arrays of P floats), or null where the
 *     velocity is averaged
 */
public record Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
    float[] params, float[] velocity, float[] buffers, float[][] workerVelocities) {
  private static final byte[] MAGIC = "FOVEACKP".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A checkpoint of a run whose velocity is averaged (no per-worker velocities). */
  public Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
      float[] params, float[] velocity, float[] buffers) {
    this(round, epoch, roundInEpoch, config, history, epochs, params, velocity, buffers, null);
  }

  public byte[] encode() {
    try {
      ObjectNode h = JSON.createObjectNode();
      h.put("round", round);
      h.put("epoch", epoch);
      h.put("round_in_epoch", roundInEpoch);
      h.put("config", config);
      h.put("history", history);
      h.put("epochs", epochs);
      byte[] header = JSON.writeValueAsBytes(h);
      ByteArrayOutputStream buf = new ByteArrayOutputStream(header.length + 8 * params.length + 64);
      DataOutputStream d = new DataOutputStream(buf);
      d.write(MAGIC);
      d.writeInt(workerVelocities == null ? 1 : 2);
      d.writeInt(header.length);
      d.write(header);
      d.writeInt(params.length);
      ByteBuffer f = ByteBuffer.allocate(8 * params.length);
      f.asFloatBuffer().put(params).put(velocity);
      d.write(f.array());
      d.writeInt(buffers.length);
      ByteBuffer bb = ByteBuffer.allocate(4 * buffers.length);
      bb.asFloatBuffer().put(buffers);
      d.write(bb.array());
      if (workerVelocities != null) {
        d.writeInt(workerVelocities.length);
        ByteBuffer wb = ByteBuffer.allocate(4 * params.length);
        for (float[] v : workerVelocities) {
          if (v.length != params.length) {
            throw new IllegalArgumentException("a worker's velocity has " + v.length + " values, not " + params.length);
          }
          wb.clear();
          wb.asFloatBuffer().put(v);
          d.write(wb.array());
        }
      }
      d.flush();
      CRC32 crc = new CRC32();
      crc.update(buf.toByteArray());
      d.writeLong(crc.getValue());
      d.flush();
      return buf.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The most workers whose own velocities a checkpoint may hold. */
  static final int MAX_WORKERS = 1 << 16;
  /** The largest JSON header read (the history of a long run is a few MB). */
  static final int MAX_HEADER_BYTES = 256 << 20;

  /**
   * Decodes a checkpoint; {@code name} is named in errors. Nothing is returned unless it is whole:
   * every count is checked against the bytes left in the file and against its limit before anything
   * is allocated for it.
   *
   * @throws DamagedCheckpointException naming the file, the field (and its offset) and the problem
   */
  public static Checkpoint decode(byte[] all, String name) throws IOException {
    if (all.length < MAGIC.length + 24 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      throw new DamagedCheckpointException(name + ": not a Fovea checkpoint (wrong magic number or truncated)");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    ByteBuffer b = ByteBuffer.wrap(all);
    if (b.getLong(all.length - 8) != crc.getValue()) {
      throw new DamagedCheckpointException(name + ": checksum mismatch: the checkpoint is corrupt or truncated");
    }
    int end = all.length - 8;
    b.position(MAGIC.length);
    int version = b.getInt();
    if (version != 1 && version != 2) {
      throw new DamagedCheckpointException(name + ": checkpoint version " + version + " is not supported");
    }
    String headerAt = at(name, b);
    int headerLength = b.getInt();
    headerLength = Sizes.count(headerAt, "header length", headerLength, 1, end - b.position() - 8, MAX_HEADER_BYTES,
        DamagedCheckpointException::new);
    JsonNode h;
    try {
      h = JSON.readTree(new ByteArrayInputStream(all, b.position(), headerLength));
    } catch (IOException e) {
      throw new DamagedCheckpointException(at(name, b) + ": header is not valid JSON: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    if (h == null || !h.isObject()) {
      throw new DamagedCheckpointException(at(name, b) + ": header is not a JSON object");
    }
    b.position(b.position() + headerLength);
    // P parameters and P velocity values, then the int32 B (and in version 2 the int32 W).
    String paramsAt = at(name, b);
    int n = b.getInt();
    n = Sizes.count(paramsAt, "parameter count", n, 8, end - b.position() - (version == 2 ? 8 : 4), Sizes.MAX_ARRAY,
        DamagedCheckpointException::new);
    float[] p = new float[n];
    float[] v = new float[n];
    b.asFloatBuffer().get(p).get(v);
    b.position(b.position() + 8 * n);
    String bufferAt = at(name, b);
    int m = b.getInt();
    m = Sizes.count(bufferAt, "buffer count", m, 4, end - b.position() - (version == 2 ? 4 : 0),
        Sizes.MAX_ARRAY, DamagedCheckpointException::new);
    if (version == 1 && (long) m * 4 != end - b.position()) {
      throw new DamagedCheckpointException(bufferAt + ": buffer count " + m + " does not match the file size");
    }
    float[] buf = new float[m];
    b.asFloatBuffer().get(buf);
    b.position(b.position() + 4 * m);
    float[][] workers = null;
    if (version == 2) {
      String workersAt = at(name, b);
      int w = b.getInt();
      if (w < 1 || w > MAX_WORKERS || (long) w * n * 4 != end - b.position()) {
        throw new DamagedCheckpointException(workersAt + ": worker velocity count " + w + " does not match the file "
            + "size (" + (end - b.position()) + " bytes for " + n + " values each; at most " + MAX_WORKERS + ")");
      }
      workers = new float[w][n];
      for (float[] x : workers) {
        b.asFloatBuffer().get(x);
        b.position(b.position() + 4 * n);
      }
    }
    return new Checkpoint(
        Sizes.jsonLong(h.path("round"), name + ": header: round", DamagedCheckpointException::new),
        Sizes.jsonInt(h.path("epoch"), name + ": header: epoch", DamagedCheckpointException::new),
        Sizes.jsonInt(h.path("round_in_epoch"), name + ": header: round_in_epoch", DamagedCheckpointException::new),
        h.path("config").asText(), h.path("history").asText(), h.path("epochs").asText(), p, v, buf, workers);
  }

  private static String at(String name, ByteBuffer b) {
    return name + ": offset " + b.position();
  }

  /** A checkpoint that does not decode; the message is one line naming the file, the field and the problem. */
  public static final class DamagedCheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public DamagedCheckpointException(String message) {
      super(dev.fovea.kernels.OneLine.of(message));
    }
  }
}
