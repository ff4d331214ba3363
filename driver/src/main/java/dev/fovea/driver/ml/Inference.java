package dev.fovea.driver.ml;

import dev.fovea.driver.TrainingRun;
import dev.fovea.driver.worker.WorkerRuntime;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;

/**
 * Prediction on an executor: rows are read in batches of {@code batch}, each row's features turned
 * into a network input, the batch forwarded once on a backend kept by {@link WorkerRuntime}, and
 * the rows given back with the model's output columns appended ({@link Outputs}: for a classifier
 * the raw outputs, probabilities and predicted class). Rows
 * stream through: at most one batch is held. The model file travels once per executor (a
 * broadcast); it is parsed once per executor JVM and kept, keyed by its SHA-256, for every later
 * task and call.
 *
 * <p>A row whose features are null or cannot be used gets null outputs and adds one to {@code
 * errors}; in strict mode it fails the task with one line naming the column, the row and the
 * problem.
 */
final class Inference implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Parsed models kept per executor JVM, most recently used last. */
  private static final int CACHED_MODELS = 4;

  private static final Map<String, Loaded> MODELS = new LinkedHashMap<>(8, 0.75f, true);

  private final String stage;
  private final String hash;
  private final Broadcast<byte[]> file;
  private final Features features;
  private final int featuresIndex;
  private final int idIndex;
  private final int batch;
  private final boolean strict;
  private final String backend;
  private final LongAccumulator errors;
  private final Outputs outputs;

  /**
   * The columns a model appends to each row, made from the row's raw network outputs: what the
   * stage's loss predicts ({@link #CLASSIFIER} for softmax classification).
   */
  interface Outputs extends Serializable {
    /** How many columns are appended. */
    int count();

    /** Puts the columns of one row's raw outputs into {@code row[at, at + count())}. */
    void put(double[] raw, Object[] row, int at);
  }

  /** rawPrediction (the logits, a Vector), probability (their softmax) and prediction (the argmax, a double). */
  static final Outputs CLASSIFIER = new Outputs() {
    private static final long serialVersionUID = 1L;

    @Override
    public int count() {
      return 3;
    }

    @Override
    public void put(double[] logits, Object[] v, int at) {
      v[at] = Vectors.dense(logits);
      v[at + 1] = Vectors.dense(softmax(logits));
      v[at + 2] = (double) argmax(logits);
    }
  };

  /**
   * @param featuresIndex the features column's position in the rows
   * @param idIndex the position of a column that names a row (binaryFile's {@code path}), or -1
   * @param outputs the columns appended to each row
   */
  Inference(String stage, String hash, Broadcast<byte[]> file, Features features, int featuresIndex, int idIndex,
      int batch, boolean strict, String backend, LongAccumulator errors, Outputs outputs) {
    this.stage = stage;
    this.hash = hash;
    this.file = file;
    this.features = features;
    this.featuresIndex = featuresIndex;
    this.idIndex = idIndex;
    this.batch = batch;
    this.strict = strict;
    this.backend = backend;
    this.errors = errors;
    this.outputs = outputs;
  }

  /** A parsed model: the network, its values and the input normalisation it was trained with. */
  record Loaded(Network network, float[] params, float[] buffers, int outputs, List<Double> mean, List<Double> std) {
    Shape input() {
      return network.inputShape();
    }

    static Loaded of(ModelFile.Model m) {
      List<List<Double>> n = TrainingRun.normalization(m);
      return new Loaded(m.network(), m.params(), m.buffers(), m.network().outputShape().size(), n.get(0), n.get(1));
    }
  }

  /** The model of {@code hash}, parsed from {@code file} the first time this JVM needs it. */
  static Loaded model(String hash, Broadcast<byte[]> file) {
    synchronized (MODELS) {
      Loaded m = MODELS.get(hash);
      if (m == null) {
        byte[] bytes = file.value();
        try {
          m = Loaded.of(ModelFile.read(new ByteArrayInputStream(bytes), bytes.length, "model " + hash));
        } catch (IOException e) {
          throw new IllegalStateException("model " + hash + ": " + e.getMessage(), e);
        }
        MODELS.put(hash, m);
        while (MODELS.size() > CACHED_MODELS) {
          MODELS.remove(MODELS.keySet().iterator().next());
        }
      }
      return m;
    }
  }

  /** How many models this JVM has parsed and keeps (for tests). */
  static int cachedModels() {
    synchronized (MODELS) {
      return MODELS.size();
    }
  }

  /** Threads that turn the next batch's features into network inputs while a task forwards the current one. */
  private static final ExecutorService AHEAD = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fovea-transform-ahead");
    t.setDaemon(true);
    return t;
  });

  /**
   * One batch of rows and their network inputs: {@code x} holds the usable rows' samples in
   * order; {@code slot[i]} is row i's place among them, or -1 with {@code problems[i]} saying why.
   */
  private record Prepared(List<Row> rows, float[] x, int[] slot, String[] problems, int good) {}

  /**
   * The rows of one partition with the outputs appended, computed a batch at a time: the task's
   * thread takes a batch of rows from Spark, a helper thread decodes and normalises it while the
   * task forwards the batch before and gives its rows back, so decoding overlaps the forward pass
   * as in training's and evaluation's shard streams. At most two batches are held.
   */
  Iterator<Row> apply(Iterator<Row> rows) {
    TaskContext tc = TaskContext.get();
    int partition = tc == null ? 0 : tc.partitionId();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    Loaded m = model(hash, file);
    return new Iterator<>() {
      private final ArrayDeque<Row> ready = new ArrayDeque<>();
      private Future<Prepared> ahead;
      private long position;
      /**
       * The network inputs of two batches, used in turn: a batch is prepared into one while the batch
       * before, in the other, is forwarded; it is prepared again only after that forward (a batch of
       * 500 images of 28 x 28 is 1.5 MB, which the JVM's G1 allocates outside its young generation).
       */
      private final float[][] inputs = new float[2][];
      private int turn;

      @Override
      public boolean hasNext() {
        if (ready.isEmpty()) {
          if (ahead == null && rows.hasNext()) {
            ahead = prepareAhead(take());
          }
          if (ahead != null) {
            Prepared p = await(ahead);
            // the next batch is read now and decoded while this one is forwarded
            ahead = rows.hasNext() ? prepareAhead(take()) : null;
            emit(p);
          }
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }

      private List<Row> take() {
        List<Row> in = new ArrayList<>(batch);
        while (in.size() < batch && rows.hasNext()) {
          in.add(rows.next());
        }
        return in;
      }

      private Future<Prepared> prepareAhead(List<Row> in) {
        int need = in.size() * m.input().size();
        float[] x = inputs[turn];
        if (x == null || x.length < need) {
          x = new float[need];
          inputs[turn] = x;
        }
        turn ^= 1;
        float[] into = x;
        return AHEAD.submit(() -> prepare(in, m, into));
      }

      private void emit(Prepared p) {
        for (int i = 0; i < p.rows().size(); i++) {
          if (p.slot()[i] < 0) {
            Row r = p.rows().get(i);
            fail(p.problems()[i], "row " + (position + i) + " of partition " + partition
                + (idIndex >= 0 ? " (" + r.get(idIndex) + ")" : ""));
          }
        }
        double[][] out = forward(m, p.x(), p.good(), threads);
        for (int i = 0; i < p.rows().size(); i++) {
          ready.add(withOutputs(p.rows().get(i), p.slot()[i] < 0 ? null : out[p.slot()[i]]));
        }
        position += p.rows().size();
      }
    };
  }

  /**
   * The network inputs of {@code in} into {@code x} (at least as long as their samples; run on a
   * helper thread: it touches nothing of the task).
   */
  private Prepared prepare(List<Row> in, Loaded m, float[] x) {
    int size = m.input().size();
    int[] slot = new int[in.size()];
    String[] problems = new String[in.size()];
    int good = 0;
    for (int i = 0; i < in.size(); i++) {
      try {
        features.sample(in.get(i).get(featuresIndex), m.input(), m.mean(), m.std(), x, good * size);
        slot[i] = good++;
      } catch (Features.BadValue e) {
        slot[i] = -1;
        problems[i] = e.getMessage();
      }
    }
    return new Prepared(in, x, slot, problems, good);
  }

  /** The result of {@code f}, its failure rethrown on the task's thread. */
  private static Prepared await(Future<Prepared> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw new IllegalStateException("interrupted while decoding a batch", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The task whose values {@link #predictOne} counts (its attempt id), and how many it has had. */
  private transient long countedTask = -1;

  private transient long values;

  /**
   * One value's raw outputs, or null for a value that cannot be used (strict: an exception naming
   * the value's place among those this task gave the function: "value 3 of partition 0").
   */
  double[] predictOne(Object value) {
    Loaded m = model(hash, file);
    TaskContext tc = TaskContext.get();
    long position = -1;
    if (tc != null) { // on the driver (a query Spark evaluates while planning) there is no task to count in
      synchronized (this) {
        if (tc.taskAttemptId() != countedTask) {
          countedTask = tc.taskAttemptId();
          values = 0;
        }
        position = values++;
      }
    }
    float[] x = new float[m.input().size()];
    try {
      features.sample(value, m.input(), m.mean(), m.std(), x, 0);
    } catch (Features.BadValue e) {
      fail(e.getMessage(), tc == null ? "a value" : "value " + position + " of partition " + tc.partitionId());
      return null;
    }
    return forward(m, x, 1, tc == null ? 1 : Math.max(1, tc.cpus()))[0];
  }

  /** The columns {@code raw} (null: none) gives, as {@link #withOutputs} appends them. */
  Object[] outputs(double[] raw) {
    Object[] v = new Object[outputs.count()];
    if (raw != null) {
      outputs.put(raw, v, 0);
    }
    return v;
  }

  private void fail(String problem, String where) {
    if (strict) {
      // a SQL function's argument has no column name: the stage names the function
      throw new IllegalArgumentException(stage + ": " + (featuresIndex >= 0 ? "column '" + features.column() + "', "
          : "") + where + ": " + problem);
    }
    if (errors != null) {
      errors.add(1);
    }
  }

  /** Raw outputs (logits of a classifier) of the first {@code n} samples of {@code x}, one row each. */
  private double[][] forward(Loaded m, float[] x, int n, int threads) {
    double[][] out = new double[n][];
    if (n == 0) {
      return out;
    }
    Tensor input = Tensor.wrap(n * m.input().size() == x.length ? x : java.util.Arrays.copyOf(x,
        n * m.input().size()), m.input().prepend(n));
    Backend b = WorkerRuntime.borrow(backend, threads);
    try {
      Tensor logits = m.network().forward(b, m.params(), m.buffers(), input);
      int k = m.outputs();
      for (int i = 0; i < n; i++) {
        out[i] = new double[k];
        for (int j = 0; j < k; j++) {
          out[i][j] = logits.get(i * k + j);
        }
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    return out;
  }

  /** {@code r} with the output columns appended (nulls for no raw outputs). */
  Row withOutputs(Row r, double[] raw) {
    Object[] v = new Object[r.size() + outputs.count()];
    for (int i = 0; i < r.size(); i++) {
      v[i] = r.get(i);
    }
    if (raw != null) {
      outputs.put(raw, v, r.size());
    }
    return RowFactory.create(v);
  }

  static double[] softmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double[] p = new double[z.length];
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** The index of the largest value, the first of equal ones. */
  static int argmax(double[] z) {
    int best = 0;
    for (int i = 1; i < z.length; i++) {
      if (z[i] > z[best]) {
        best = i;
      }
    }
    return best;
  }
}
