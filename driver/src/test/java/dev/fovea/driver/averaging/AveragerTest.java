package dev.fovea.driver.averaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.driver.FoveaKryoRegistrator;
import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.reflect.ClassTag$;

/**
 * The averaging sums travel as floats while they hold one worker and are bitwise the sums in
 * double of every worker's result, whatever the order partials meet in, through Spark's Kryo
 * serializer (with and without its unsafe streams).
 */
class AveragerTest {
  private static final int P = 10_003;
  private static final int B = 17;

  private static RoundResult result(int worker, long seed) {
    Random r = new Random(seed * 31 + worker);
    RoundResult res = new RoundResult();
    res.worker = worker;
    res.params = new float[P];
    res.velocity = new float[P];
    res.buffers = new float[B];
    for (int i = 0; i < P; i++) {
      // magnitudes spread over a few powers of two, as trained parameters are
      res.params[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(8) - 4));
      res.velocity[i] = (float) (r.nextGaussian() * 1e-3);
    }
    for (int i = 0; i < B; i++) {
      res.buffers[i] = r.nextFloat();
    }
    res.lossSum = r.nextDouble();
    res.samples = 64;
    res.computeNanos = 1000 + worker;
    res.executorId = "e" + worker;
    return res;
  }

  /** The specification: sum in double in worker order, divide, round to float. */
  private static float[] expected(RoundResult[] rs, java.util.function.Function<RoundResult, float[]> f) {
    int n = f.apply(rs[0]).length;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (RoundResult r : rs) {
        s += f.apply(r)[i];
      }
      out[i] = (float) (s / rs.length);
    }
    return out;
  }

  private static <T> T roundTrip(SerializerInstance ser, T value, Class<T> type) {
    ByteBuffer bytes = ser.serialize(value, ClassTag$.MODULE$.apply(type));
    return ser.deserialize(bytes, ClassTag$.MODULE$.apply(type));
  }

  private static SerializerInstance kryo(boolean unsafe) {
    SparkConf conf = new SparkConf(false)
        .set("spark.kryo.registrator", FoveaKryoRegistrator.class.getName())
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.kryo.unsafe", Boolean.toString(unsafe))
        .set("spark.kryoserializer.buffer.max", "256m");
    return new KryoSerializer(conf).newInstance();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void averagesAreTheDoubleSumsInAnyOrderThroughKryo(boolean unsafe) {
    SerializerInstance ser = kryo(unsafe);
    RoundResult[] rs = new RoundResult[5];
    for (int w = 0; w < rs.length; w++) {
      rs[w] = result(w, 42);
    }
    // each partition's partial (one worker), shipped as Spark ships task results
    Averager[] partials = new Averager[rs.length];
    for (int w = 0; w < rs.length; w++) {
      partials[w] = roundTrip(ser, new Averager().add(rs[w]), Averager.class);
    }
    // two orders of combining, one through an intermediate level that is itself shipped
    Averager forward = new Averager();
    for (Averager a : partials) {
      forward = forward.merge(roundTrip(ser, a, Averager.class));
    }
    Averager left = new Averager().merge(roundTrip(ser, partials[4], Averager.class))
        .merge(roundTrip(ser, partials[1], Averager.class));
    Averager right = new Averager().merge(roundTrip(ser, partials[3], Averager.class))
        .merge(roundTrip(ser, partials[0], Averager.class)).merge(roundTrip(ser, partials[2], Averager.class));
    Averager tree = roundTrip(ser, right, Averager.class).merge(roundTrip(ser, left, Averager.class));
    for (Averager sum : new Averager[] {forward, tree}) {
      TrainState avg = sum.average();
      assertArrayEquals(expected(rs, r -> r.params), avg.params);
      assertArrayEquals(expected(rs, r -> r.velocity), avg.velocity);
      assertArrayEquals(expected(rs, r -> r.buffers), avg.buffers);
      assertEquals(5 * 64, sum.samples);
      assertEquals(1004, sum.maxComputeNanos);
      assertEquals(5, sum.executors.size());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void oneWorkersPartialTravelsAsFloatsAndPassesThroughExactly(boolean unsafe) {
    SerializerInstance ser = kryo(unsafe);
    RoundResult r = result(0, 7);
    Averager one = new Averager().add(r);
    int bytes = ser.serialize(one, ClassTag$.MODULE$.apply(Averager.class)).remaining();
    // 4 bytes a value (params and velocity) plus small change; as double sums it was 8
    assertTrue(bytes < 2 * P * 4 + 1_000, "serialized partial of one worker: " + bytes + " bytes");
    TrainState avg = new Averager().merge(roundTrip(ser, one, Averager.class)).average();
    assertArrayEquals(r.params, avg.params);
    assertArrayEquals(r.velocity, avg.velocity);
    assertArrayEquals(r.buffers, avg.buffers);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void perWorkerVelocityIsLeftOut(boolean unsafe) {
    SerializerInstance ser = kryo(unsafe);
    Averager a = roundTrip(ser, new Averager(false).add(result(0, 3)), Averager.class);
    Averager b = roundTrip(ser, new Averager(false).add(result(1, 3)), Averager.class);
    TrainState avg = a.merge(b).average();
    assertNull(avg.velocity);
    assertArrayEquals(expected(new RoundResult[] {result(0, 3), result(1, 3)}, x -> x.params), avg.params);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void shardedPartialsSumAsDoublesWhateverTheOrder(boolean unsafe) {
    SerializerInstance ser = kryo(unsafe);
    RoundResult[] rs = {result(0, 9), result(1, 9), result(2, 9)};
    ShardedReduce.Partial[] ps = new ShardedReduce.Partial[rs.length];
    for (int w = 0; w < rs.length; w++) {
      ShardedReduce.Partial p = new ShardedReduce.Partial();
      p.values = rs[w].params.clone();
      p.workers = 1;
      ps[w] = roundTrip(ser, p, ShardedReduce.Partial.class);
    }
    float[] want = expected(rs, r -> r.params);
    assertArrayEquals(want, ps[0].merge(ps[1]).merge(ps[2]).average());
    assertArrayEquals(want, ps[2].merge(roundTrip(ser, ps[0].merge(ps[1]), ShardedReduce.Partial.class)).average());
    assertArrayEquals(rs[1].params, ps[1].average());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5})
  void aReducerAveragesItsSharesInWorkerOrderAsMergingDoes(int n) {
    SerializerInstance ser = kryo(true);
    RoundResult[] rs = new RoundResult[n];
    java.util.List<scala.Tuple2<Integer, ShardedReduce.Partial>> shares = new java.util.ArrayList<>();
    ShardedReduce.Partial merged = null;
    for (int w = 0; w < n; w++) {
      rs[w] = result(w, 11);
      rs[w].params[0] = -0.0f; // -0.0 in every worker stays -0.0, as the widening merge keeps it
      ShardedReduce.Partial p = new ShardedReduce.Partial();
      p.values = rs[w].params.clone();
      p.workers = 1;
      p.worker = w;
      merged = merged == null ? p : merged.merge(p);
      ShardedReduce.Partial metrics = new ShardedReduce.Partial();
      metrics.workers = 1;
      metrics.worker = w;
      metrics.lossSum = rs[w].lossSum;
      metrics.samples = rs[w].samples;
      metrics.executors.add(rs[w].executorId);
      shares.add(new scala.Tuple2<>(-1, roundTrip(ser, metrics, ShardedReduce.Partial.class)));
      shares.add(new scala.Tuple2<>(4, roundTrip(ser, p, ShardedReduce.Partial.class)));
    }
    java.util.Collections.reverse(shares); // the order shuffle blocks arrive in is not the workers'
    java.util.Map<Integer, ShardedReduce.Partial> out = new java.util.HashMap<>();
    ShardedReduce.reduce(shares.iterator()).forEachRemaining(t -> out.put(t._1, t._2));
    assertEquals(2, out.size());
    float[] avg = out.get(4).values;
    assertArrayEquals(merged.average(), avg);
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(avg[0]));
    float[] want = expected(rs, r -> r.params);
    for (int i = 1; i < P; i++) {
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(avg[i]), "value " + i);
    }
    ShardedReduce.Partial m = out.get(-1);
    assertEquals(n, m.workers);
    assertEquals(64L * n, m.samples);
    assertEquals(n, m.executors.size());
  }

  @org.junit.jupiter.api.Test
  void slicesOfTheStateVectorAreCutAndPlacedAcrossItsParts() {
    RoundResult r = result(0, 5);
    float[] all = ShardedReduce.flatten(new TrainState(r.params, r.velocity, r.buffers));
    float[] p = new float[P];
    float[] v = new float[P];
    float[] b = new float[B];
    int slices = 7;
    for (int i = 0; i < slices; i++) {
      int lo = (int) ((long) i * all.length / slices);
      int hi = (int) ((long) (i + 1) * all.length / slices);
      float[] slice = ShardedReduce.gather(lo, hi, r.params, r.velocity, r.buffers);
      assertArrayEquals(java.util.Arrays.copyOfRange(all, lo, hi), slice);
      ShardedReduce.scatter(slice, lo, p, v, b);
    }
    assertArrayEquals(r.params, p);
    assertArrayEquals(r.velocity, v);
    assertArrayEquals(r.buffers, b);
    // without the velocity (each worker keeps its own)
    assertArrayEquals(java.util.Arrays.copyOfRange(r.buffers, 0, 5), ShardedReduce.gather(P, P + 5, r.params, null,
        r.buffers));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void twoWorkersMeetAsFloatsAndAverageAsTheirDoubleSum(boolean unsafe) {
    SerializerInstance ser = kryo(unsafe);
    RoundResult[] rs = {result(0, 13), result(1, 13)};
    rs[0].params[0] = -0.0f;
    rs[1].params[0] = -0.0f;
    Averager pair = new Averager().merge(roundTrip(ser, new Averager().add(rs[1]), Averager.class))
        .merge(roundTrip(ser, new Averager().add(rs[0]), Averager.class));
    assertTrue(pair.second != null && pair.params == null, "two results stay floats");
    int bytes = ser.serialize(pair, ClassTag$.MODULE$.apply(Averager.class)).remaining();
    assertTrue(bytes < 2 * 2 * P * 4 + 1_000, "a two-worker partial is no larger than its double sum: " + bytes);
    TrainState avg = roundTrip(ser, pair, Averager.class).average();
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(avg.params[0]));
    float[] want = expected(rs, r -> r.params);
    for (int i = 1; i < P; i++) {
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(avg.params[i]), "value " + i);
    }
    assertArrayEquals(expected(rs, r -> r.velocity), avg.velocity);
    assertArrayEquals(expected(rs, r -> r.buffers), avg.buffers);
    // a third worker widens the pair: the same sums as any other order
    RoundResult[] three = {rs[0], rs[1], result(2, 13)};
    TrainState avg3 = pair.add(three[2]).average();
    assertArrayEquals(new Averager().add(three[2]).merge(new Averager().add(rs[0]).add(rs[1])).average().params,
        avg3.params);
  }
}
