package dev.fovea.driver.averaging;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.BlockManager;

/**
 * {@code --exchange bf16}: the all-reduce's slices travel as bfloat16 deltas with error feedback,
 * 2 bytes a value instead of 4 ({@link AllReduce} only).
 *
 * <p>Every worker starts a round from the same state s. Worker w sends, for each value k of the
 * vector, q = bf16(δ + e) with δ = r[k] − s[k] (its result less the start, in float) and e its
 * residual, and keeps e ← (δ + e) − q (exact in float: q is δ + e rounded to 8 significant bits).
 * The owner of slice j sums the q's in double in worker order and divides by N, exactly as the f32
 * exchange averages results ({@link AllReduce#average}), into A; it sends Q = bf16(A + E) and keeps
 * E ← (A + E) − Q, E being its own residual for slice j. Every worker sets r[k] = s[k] + Q[k] (float
 * addition, the same operands everywhere), so all workers hold bitwise the same state after the
 * round. Without the residuals each round would lose up to half a bf16 unit (2^-9 relative) of
 * every value's update; with them the rounding error of a round is carried into the next, so
 * over R rounds the sum of what was sent differs from the sum of the true deltas only by the last
 * residual (at most half a bf16 unit of the last (δ + e)) and the float roundings of the R
 * additions δ + e ({@code Bf16ExchangeTest} holds this).
 *
 * <p>The residuals are state of each worker: worker w's is e_w (T values, the vector's length)
 * followed by E_w (the length of its slice w). They enter each group as a broadcast per worker
 * (cloned by the task, so a retried task starts from the same values) and leave it as a block that
 * the driver reads with the final state, like {@code --optimizer-state local}'s velocities;
 * checkpoints hold them (format version 4), so a resumed run is bitwise the uninterrupted one.
 *
 * <p>bf16 is the upper half of a float's bits, rounded to nearest, ties to even ({@link #bf16}):
 * infinities stay infinite and NaN stays NaN, so a diverged round still fails the divergence check.
 */
final class Bf16Exchange {
  private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
  private final int workers;
  /** Every worker's residuals (e_w ‖ E_w), or null while all are zeros. */
  private float[][] residuals;

  /**
   * @param residuals every worker's residuals to start from (a checkpoint's), or null for zeros
   */
  Bf16Exchange(int workers, int total, float[][] residuals) {
    this.workers = workers;
    if (residuals != null) {
      if (residuals.length != workers) {
        throw new IllegalArgumentException("the checkpoint holds " + residuals.length + " workers' bf16 residuals, "
            + "not " + workers);
      }
      for (int w = 0; w < workers; w++) {
        int expected = total + AllReduce.from(w + 1, workers, total) - AllReduce.from(w, workers, total);
        if (residuals[w].length != expected) {
          throw new IllegalArgumentException("the checkpoint holds " + residuals[w].length + " bf16 residuals for "
              + "worker " + w + ", not " + expected);
        }
      }
    }
    this.residuals = residuals;
  }

  /** {@code f} as bfloat16 bits: rounded to nearest, ties to even; NaN stays (a quiet) NaN. */
  static short bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) { // NaN: keep the sign and make sure a mantissa bit survives
      return (short) ((bits >>> 16) | 0x0040);
    }
    // adding 0x7fff plus the lowest kept bit rounds the magnitude to nearest even; a carry moves
    // into the exponent (the largest floats round to infinity)
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The float of bfloat16 bits {@code h} (exact). */
  static float toFloat(short h) {
    return Float.intBitsToFloat((h & 0xffff) << 16);
  }

  /** Every worker's residuals, on the driver (zeros before the first group). */
  float[][] residuals(int total) {
    if (residuals == null) {
      residuals = new float[workers][];
      for (int w = 0; w < workers; w++) {
        residuals[w] = new float[total + AllReduce.from(w + 1, workers, total) - AllReduce.from(w, workers, total)];
      }
    }
    return residuals;
  }

  /** A group's residuals for its tasks: one broadcast per worker (none while all are zeros). */
  Plan begin(JavaSparkContext jsc) {
    List<Broadcast<float[]>> each = new ArrayList<>();
    if (residuals != null) {
      for (float[] r : residuals) {
        each.add(jsc.broadcast(r));
      }
    }
    return new Plan(each);
  }

  /** Reads every worker's residuals from the group's blocks under {@code rdd} (stage attempt {@code attempt}). */
  void collect(BlockManager bm, int rdd, int attempt) {
    float[][] next = new float[workers][];
    for (int w = 0; w < workers; w++) {
      try (SliceBlocks.Slice s = SliceBlocks.Slice.fetch(bm, AllReduce.id(rdd, attempt, AllReduce.RAW, w, 0, workers))) {
        next[w] = new float[s.floats.remaining()];
        s.floats.get(next[w]);
      }
    }
    residuals = next;
  }

  /** What a group's tasks receive: each worker's residuals (empty: zeros). */
  static final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;
    private final List<Broadcast<float[]>> residuals;

    Plan(List<Broadcast<float[]>> residuals) {
      this.residuals = residuals;
    }

    /** Worker w's side of the exchange, starting from a copy of its residuals. */
    Worker worker(int w, int n, int total) {
      int lo = AllReduce.from(w, n, total);
      int hi = AllReduce.from(w + 1, n, total);
      float[] r = residuals.isEmpty() ? new float[total + hi - lo] : residuals.get(w).value().clone();
      return new Worker(w, n, total, r);
    }

    /** Drops the broadcasts (on the driver, when the job has ended). */
    void destroy() {
      for (Broadcast<float[]> b : residuals) {
        b.destroy();
      }
    }
  }

  /** One worker's side of the exchange inside its task: its residuals, and the round's exchange. */
  static final class Worker {
    private final int w;
    private final int n;
    private final int total;
    /** e (T values) ‖ E (this worker's slice). */
    private final float[] residual;

    Worker(int w, int n, int total, float[] residual) {
      this.w = w;
      this.n = n;
      this.total = total;
      this.residual = residual;
    }

    /**
     * One round's all-reduce of the deltas {@code result − start} in bf16 through the block
     * manager, the same steps and blocks as the f32 exchange: puts slice j ≠ w for worker j,
     * averages slice w and puts it, and leaves the new state in {@code result}'s arrays.
     *
     * @param rddIds the group's round RDD ids; {@code i} this round's index
     * @param start the round's start state (params, velocity or null, buffers), not modified
     * @param result the worker's result, the same parts; becomes s + the averaged delta
     */
    void round(TaskContext ctx, BlockManager bm, int[] rddIds, int i, int attempt, float[][] start,
        float[][] result) {
      int rdd = rddIds[i];
      for (int j = 0; j < n; j++) {
        if (j != w) {
          int lo = AllReduce.from(j, n, total);
          int hi = AllReduce.from(j + 1, n, total);
          short[] q = new short[hi - lo];
          encode(lo, hi, start, result, q);
          ByteBuffer bytes = ByteBuffer.allocate(2 * q.length).order(ORDER);
          bytes.asShortBuffer().put(q);
          SliceBlocks.putBytes(bm, AllReduce.id(rdd, attempt, AllReduce.RAW, w, j, n), bytes);
        }
      }
      int lo = AllReduce.from(w, n, total);
      int hi = AllReduce.from(w + 1, n, total);
      int len = hi - lo;
      short[] own = new short[len];
      encode(lo, hi, start, result, own);
      float[] mine = new float[len];
      for (int k = 0; k < len; k++) {
        mine[k] = toFloat(own[k]);
      }
      FloatBuffer[] x = new FloatBuffer[n];
      for (int p = 0; p < n; p++) {
        if (p == w) {
          x[p] = FloatBuffer.wrap(mine);
          continue;
        }
        try (SliceBlocks.Slice s = SliceBlocks.Slice.await(ctx, bm, AllReduce.id(rdd, attempt, AllReduce.RAW, p, w, n))) {
          x[p] = FloatBuffer.wrap(decode(s, len, "worker " + p + "'s slice " + w));
        }
      }
      float[] mean = new float[len];
      AllReduce.average(x, FloatBuffer.wrap(mean));
      short[] q = new short[len];
      float[] sent = new float[len];
      for (int k = 0; k < len; k++) {
        float t = mean[k] + residual[total + k];
        q[k] = bf16(t);
        sent[k] = toFloat(q[k]);
        residual[total + k] = t - sent[k];
      }
      ByteBuffer averaged = ByteBuffer.allocate(2 * len).order(ORDER);
      averaged.asShortBuffer().put(q);
      if (i > 0) { // every worker has put this round's slice for w, so it has read w's last averaged one
        bm.removeBlock(AllReduce.id(rddIds[i - 1], attempt, AllReduce.AVERAGED, w, 0, n), true);
      }
      apply(lo, sent, start, result);
      SliceBlocks.putBytes(bm, AllReduce.id(rdd, attempt, AllReduce.AVERAGED, w, 0, n), averaged);
      for (int j = 0; j < n; j++) {
        if (j != w) {
          int from = AllReduce.from(j, n, total);
          int size = AllReduce.from(j + 1, n, total) - from;
          try (SliceBlocks.Slice s = SliceBlocks.Slice.await(ctx, bm, AllReduce.id(rdd, attempt, AllReduce.AVERAGED, j, 0,
              n))) {
            apply(from, decode(s, size, "worker " + j + "'s averaged slice"), start, result);
          }
        }
      }
      for (int j = 0; j < n; j++) { // worker j put its averaged slice, so it has read w's slice j
        if (j != w) {
          bm.removeBlock(AllReduce.id(rdd, attempt, AllReduce.RAW, w, j, n), true);
        }
      }
    }

    /**
     * At the group's end, under the group's extra RDD id: this worker's residuals (RAW, read back
     * by {@link #collect}) and its slice of the final state in f32 (AVERAGED, what the driver
     * reads as the new state: the last round's averaged blocks hold deltas).
     */
    void finish(BlockManager bm, int rdd, int attempt, float[]... state) {
      AllReduce.put(bm, AllReduce.id(rdd, attempt, AllReduce.RAW, w, 0, n), residual);
      AllReduce.put(bm, AllReduce.id(rdd, attempt, AllReduce.AVERAGED, w, 0, n), AllReduce.from(w, n, total),
          AllReduce.from(w + 1, n, total), state);
    }

    /** Values {@code [lo, hi)} into {@code out}: q = bf16(result − start + e), e ← (result − start + e) − q. */
    void encode(int lo, int hi, float[][] start, float[][] result, short[] out) {
      AllReduce.pieces(lo, hi, result, (part, at, from, length) -> {
        float[] s = twin(part, start, result);
        for (int k = 0; k < length; k++) {
          int v = lo + from + k;
          float t = (part[at + k] - s[at + k]) + residual[v];
          short q = bf16(t);
          residual[v] = t - toFloat(q);
          out[from + k] = q;
        }
      });
    }
  }

  /** {@code result} from {@code lo}: start + delta, value by value. */
  private static void apply(int lo, float[] delta, float[][] start, float[][] result) {
    AllReduce.pieces(lo, lo + delta.length, result, (part, at, from, length) -> {
      float[] s = twin(part, start, result);
      for (int k = 0; k < length; k++) {
        part[at + k] = s[at + k] + delta[from + k];
      }
    });
  }

  /** The start part laid out like result part {@code part}. */
  private static float[] twin(float[] part, float[][] start, float[][] result) {
    for (int i = 0; i < result.length; i++) {
      if (result[i] == part) {
        return start[i];
      }
    }
    throw new IllegalStateException("bf16 exchange: a result part without its start");
  }

  /** A block of bf16 bits as floats; it must hold {@code len} values. */
  private static float[] decode(SliceBlocks.Slice s, int len, String what) {
    ShortBuffer in = s.bytes.asShortBuffer();
    if (in.remaining() != len) {
      throw new IllegalStateException("bf16 exchange: " + what + " holds " + in.remaining() + " values, not " + len);
    }
    short[] bits = new short[len];
    in.get(bits);
    float[] out = new float[len];
    for (int k = 0; k < len; k++) {
      out[k] = toFloat(bits[k]);
    }
    return out;
  }
}
