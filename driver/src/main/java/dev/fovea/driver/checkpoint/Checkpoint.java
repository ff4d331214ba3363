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
 *   8 bytes "FOVEACKP" · int32 version (1 to 4) · int32 L · L bytes JSON header
 *   int32 P · P float32 parameters · S × P float32 optimizer state · int32 B · B float32 buffers
 *   versions 2 to 4: int32 W · W × S × P float32, every worker's own optimizer state (worker 0 first)
 *   version 4: int32 R · R × (int32 T · T float32), every worker's --exchange bf16 residuals
 *   int64 CRC-32 of everything before
 * </pre>
 *
 * S is the optimizer's number of state blocks ({@code Optimizer.stateBlocks()}: 1 for SGD's
 * velocity, 2 for Adam's moments): 1 in versions 1 and 2, the header's {@code state_blocks} (1 to
 * {@value #MAX_STATE_BLOCKS}) in version 3. Optimizers with one state block write versions 1 and 2
 * as before, so such checkpoints read the same with older code (which refuses a version 3 file by
 * its version): version 1 when the state is averaged (W would be 0), version 2 when each worker
 * keeps its own ({@code --optimizer-state local}), where {@code velocity} holds their mean. Version
 * 3 has W = 0 when the state is averaged. Version 4 is version 3 (with {@code state_blocks}) plus
 * the residuals of {@code --exchange bf16}, and is written only by such runs, so every other run's
 * checkpoint is what it was.
 *
 * @param round rounds completed so far in the whole run
 * @param epoch the epoch to continue in (from 0)
 * @param roundInEpoch the next round within that epoch (from 0)
 * @param config the run configuration's identity ({@code TrainConfig#identity()}); resume refuses
 *     a checkpoint of another configuration
 * @param history the history lines written so far
 * @param epochs the per-epoch lines written so far
 * @param params the flat parameter vector
 * @param velocity the optimizer state, S blocks laid out like the parameters
 * @param buffers the network's buffers (batch-norm running statistics)
 * @param workerVelocities every worker's own optimizer state (W arrays of S × P floats), or null
 *     where the state is averaged
 * @param exchangeResiduals every worker's error-feedback residuals of {@code --exchange bf16}
 *     (R arrays), or null
 */
public record Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
    float[] params, float[] velocity, float[] buffers, float[][] workerVelocities, float[][] exchangeResiduals) {
  private static final byte[] MAGIC = "FOVEACKP".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A checkpoint of a run whose velocity is averaged (no per-worker velocities). */
  public Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
      float[] params, float[] velocity, float[] buffers) {
    this(round, epoch, roundInEpoch, config, history, epochs, params, velocity, buffers, null);
  }

  /** A checkpoint without exchange residuals. */
  public Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
      float[] params, float[] velocity, float[] buffers, float[][] workerVelocities) {
    this(round, epoch, roundInEpoch, config, history, epochs, params, velocity, buffers, workerVelocities, null);
  }

  /** The optimizer's state blocks S. */
  public int stateBlocks() {
    return params.length == 0 ? 1 : velocity.length / params.length;
  }

  public byte[] encode() {
    if (params.length == 0 ? velocity.length != 0 : velocity.length % params.length != 0
        || stateBlocks() < 1 || stateBlocks() > MAX_STATE_BLOCKS) {
      throw new IllegalArgumentException("checkpoint: " + velocity.length + " optimizer state values are not 1 to "
          + MAX_STATE_BLOCKS + " blocks of " + params.length + " parameters");
    }
    int blocks = stateBlocks();
    int version = exchangeResiduals != null ? 4 : blocks != 1 ? 3 : workerVelocities == null ? 1 : 2;
    try {
      ObjectNode h = JSON.createObjectNode();
      h.put("round", round);
      h.put("epoch", epoch);
      h.put("round_in_epoch", roundInEpoch);
      h.put("config", config);
      h.put("history", history);
      h.put("epochs", epochs);
      if (version >= 3) {
        h.put("state_blocks", blocks);
      }
      byte[] header = JSON.writeValueAsBytes(h);
      ByteArrayOutputStream buf = new ByteArrayOutputStream(header.length + 8 * params.length + 64);
      DataOutputStream d = new DataOutputStream(buf);
      d.write(MAGIC);
      d.writeInt(version);
      d.writeInt(header.length);
      d.write(header);
      d.writeInt(params.length);
      ByteBuffer f = ByteBuffer.allocate(4 * (params.length + velocity.length));
      f.asFloatBuffer().put(params).put(velocity);
      d.write(f.array());
      d.writeInt(buffers.length);
      ByteBuffer bb = ByteBuffer.allocate(4 * buffers.length);
      bb.asFloatBuffer().put(buffers);
      d.write(bb.array());
      if (workerVelocities != null || version >= 3) {
        d.writeInt(workerVelocities == null ? 0 : workerVelocities.length);
        ByteBuffer wb = ByteBuffer.allocate(4 * velocity.length);
        for (float[] v : workerVelocities == null ? new float[0][] : workerVelocities) {
          if (v.length != velocity.length) {
            throw new IllegalArgumentException("a worker's optimizer state has " + v.length + " values, not "
                + velocity.length);
          }
          wb.clear();
          wb.asFloatBuffer().put(v);
          d.write(wb.array());
        }
      }
      if (version == 4) {
        d.writeInt(exchangeResiduals.length);
        for (float[] r : exchangeResiduals) {
          d.writeInt(r.length);
          ByteBuffer rb = ByteBuffer.allocate(4 * r.length);
          rb.asFloatBuffer().put(r);
          d.write(rb.array());
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

  /** The most optimizer state blocks a checkpoint may hold. */
  static final int MAX_STATE_BLOCKS = 8;
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
    if (version < 1 || version > 4) {
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
    int blocks = 1;
    if (version >= 3) {
      blocks = Sizes.jsonInt(h.path("state_blocks"), at(name, b) + ": header: state_blocks",
          DamagedCheckpointException::new);
      if (blocks < 1 || blocks > MAX_STATE_BLOCKS) {
        throw new DamagedCheckpointException(at(name, b) + ": header: state_blocks " + blocks + " is not in [1, "
            + MAX_STATE_BLOCKS + "]");
      }
    }
    boolean hasWorkers = version >= 2;
    b.position(b.position() + headerLength);
    // P parameters and S × P state values, then the int32 B (and in versions 2 and 3 the int32 W).
    String paramsAt = at(name, b);
    int n = b.getInt();
    n = Sizes.count(paramsAt, "parameter count", n, 4L * (1 + blocks), end - b.position() - (hasWorkers ? 8 : 4),
        Sizes.MAX_ARRAY / blocks, DamagedCheckpointException::new);
    float[] p = new float[n];
    float[] v = new float[blocks * n];
    b.asFloatBuffer().get(p).get(v);
    b.position(b.position() + 4 * (n + v.length));
    String bufferAt = at(name, b);
    int m = b.getInt();
    m = Sizes.count(bufferAt, "buffer count", m, 4, end - b.position() - (hasWorkers ? 4 : 0),
        Sizes.MAX_ARRAY, DamagedCheckpointException::new);
    if (version == 1 && (long) m * 4 != end - b.position()) {
      throw new DamagedCheckpointException(bufferAt + ": buffer count " + m + " does not match the file size");
    }
    float[] buf = new float[m];
    b.asFloatBuffer().get(buf);
    b.position(b.position() + 4 * m);
    float[][] workers = null;
    if (hasWorkers) {
      String workersAt = at(name, b);
      int w = b.getInt();
      long left = end - b.position();
      if (w < (version == 2 ? 1 : 0) || w > MAX_WORKERS || (version == 4 ? (long) w * v.length * 4 > left - 4
          : (long) w * v.length * 4 != left)) {
        throw new DamagedCheckpointException(workersAt + ": worker velocity count " + w + " does not match the file "
            + "size (" + (end - b.position()) + " bytes for " + v.length + " values each; at most " + MAX_WORKERS
            + ")");
      }
      if (w > 0) {
        workers = new float[w][v.length];
        for (float[] x : workers) {
          b.asFloatBuffer().get(x);
          b.position(b.position() + 4 * x.length);
        }
      }
    }
    float[][] residuals = version == 4 ? residuals(b, end, name) : null;
    return new Checkpoint(
        Sizes.jsonLong(h.path("round"), name + ": header: round", DamagedCheckpointException::new),
        Sizes.jsonInt(h.path("epoch"), name + ": header: epoch", DamagedCheckpointException::new),
        Sizes.jsonInt(h.path("round_in_epoch"), name + ": header: round_in_epoch", DamagedCheckpointException::new),
        h.path("config").asText(), h.path("history").asText(), h.path("epochs").asText(), p, v, buf, workers,
        residuals);
  }

  /** Version 4's residuals: int32 R · R × (int32 T · T float32), up to the checksum. */
  private static float[][] residuals(ByteBuffer b, int end, String name) throws DamagedCheckpointException {
    String at = at(name, b);
    int r = Sizes.count(at, "bf16 residual count", b.getInt(), 4, end - b.position(), MAX_WORKERS,
        DamagedCheckpointException::new);
    float[][] out = new float[r][];
    for (int i = 0; i < r; i++) {
      String lengthAt = at(name, b);
      int t = Sizes.count(lengthAt, "bf16 residual length", b.getInt(), 4, end - b.position(), Sizes.MAX_ARRAY,
          DamagedCheckpointException::new);
      out[i] = new float[t];
      b.asFloatBuffer().get(out[i]);
      b.position(b.position() + 4 * t);
    }
    if (b.position() != end) {
      throw new DamagedCheckpointException(at(name, b) + ": " + (end - b.position()) + " bytes after the bf16 "
          + "residuals");
    }
    return out;
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
