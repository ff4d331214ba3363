package dev.fovea.driver.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 *   8 bytes "FOVEACKP" · int32 version (1) · int32 L · L bytes JSON header
 *   int32 P · P float32 parameters · P float32 velocity · int32 B · B float32 buffers
 *   int64 CRC-32 of everything before
 * </pre>
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
 */
public record Checkpoint(long round, int epoch, int roundInEpoch, String config, String history, String epochs,
    float[] params, float[] velocity, float[] buffers) {
  private static final byte[] MAGIC = "FOVEACKP".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

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
      d.writeInt(1);
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

  /** Decodes a checkpoint; {@code name} is named in errors. Nothing is returned unless it is whole. */
  public static Checkpoint decode(byte[] all, String name) throws IOException {
    if (all.length < MAGIC.length + 24 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      throw new IOException(name + ": not a Fovea checkpoint (wrong magic number or truncated)");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    ByteBuffer b = ByteBuffer.wrap(all);
    if (b.getLong(all.length - 8) != crc.getValue()) {
      throw new IOException(name + ": checksum mismatch: the checkpoint is corrupt or truncated");
    }
    b.position(MAGIC.length);
    int version = b.getInt();
    if (version != 1) {
      throw new IOException(name + ": checkpoint version " + version + " is not supported");
    }
    int headerLength = b.getInt();
    JsonNode h = JSON.readTree(Arrays.copyOfRange(all, b.position(), b.position() + headerLength));
    b.position(b.position() + headerLength);
    int n = b.getInt();
    if (n < 0 || (long) n * 8 + 4 > all.length - 8 - b.position()) {
      throw new IOException(name + ": parameter count " + n + " does not match the file size");
    }
    float[] p = new float[n];
    float[] v = new float[n];
    b.asFloatBuffer().get(p).get(v);
    b.position(b.position() + 8 * n);
    int m = b.getInt();
    if ((long) m * 4 != all.length - 8 - b.position()) {
      throw new IOException(name + ": buffer count " + m + " does not match the file size");
    }
    float[] buf = new float[m];
    b.asFloatBuffer().get(buf);
    return new Checkpoint(h.path("round").asLong(), h.path("epoch").asInt(), h.path("round_in_epoch").asInt(),
        h.path("config").asText(), h.path("history").asText(), h.path("epochs").asText(), p, v, buf);
  }
}
