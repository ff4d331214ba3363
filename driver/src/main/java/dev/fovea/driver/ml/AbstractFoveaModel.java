package dev.fovea.driver.ml;

import dev.fovea.driver.TrainingRun;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * What every trained Fovea stage shares ({@link FoveaClassificationModel}, {@link FoveaModel}): the
 * {@code .fovea} model file and its parsed model, {@link #transform} as batched, streaming
 * inference on the executors ({@link Inference}) appending the columns the subclass names ({@link
 * #outputFields}, {@link #outputs}), the broadcast of the file, the error count, copies, and saving
 * as Spark ML metadata plus {@code model.fovea}.
 *
 * @param <M> the model class, returned by the setters
 */
public abstract class AbstractFoveaModel<M extends AbstractFoveaModel<M>> extends Model<M>
    implements StageParams<M>, MLWritable {
  private static final long serialVersionUID = 1L;

  /** Largest model file read back (one Java array). */
  private static final long MAX_MODEL_BYTES = Integer.MAX_VALUE - 8;

  private final String uid;
  private final Shared shared;
  private final byte[] file;
  private final String hash;
  private transient ModelFile.Model model;
  private transient Broadcast<byte[]> broadcast;
  private transient SparkContext broadcastContext;
  private transient LongAccumulator errors;
  private transient TrainingRun.Result training;

  /**
   * The model in {@code file}, the bytes of a {@code .fovea} file as {@link ModelFile#write}
   * writes them.
   *
   * @throws IllegalArgumentException when the bytes are not a model file, or the model records no
   *     input normalisation
   */
  protected AbstractFoveaModel(String uid, byte[] file) {
    this.uid = uid;
    this.file = file.clone();
    this.hash = sha256(this.file);
    this.model = parse(this.file, "model " + uid);
    TrainingRun.normalization(model); // refused here rather than on the executors
    this.shared = new Shared(this);
  }

  /** A model of the same class, uid and file (no parameters set); {@link #copy} sets them. */
  abstract M newInstance(String uid, byte[] file);

  /** The output columns, checked not to be in {@code schema} yet, in the order {@link #outputs} fills them. */
  abstract List<StructField> outputFields();

  /** How a row's raw network outputs become the output columns. */
  abstract Inference.Outputs outputs();

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Shared shared() {
    return shared;
  }

  /** The model: network, parameters, class names, provenance. */
  public ModelFile.Model model() {
    if (model == null) {
      model = parse(file, "model " + uid);
    }
    return model;
  }

  /** The network's input (C, H, W). */
  public Shape inputShape() {
    return model().network().inputShape();
  }

  /** The bytes of the {@code .fovea} file. */
  public byte[] modelFile() {
    return file.clone();
  }

  /**
   * The run that trained this model (history, validation metrics, timings), or null for a model
   * that was loaded or built from a file.
   */
  public TrainingRun.Result trainingResult() {
    return training;
  }

  @SuppressWarnings("unchecked")
  M withTraining(TrainingRun.Result r) {
    training = r;
    return (M) this;
  }

  /**
   * The accumulator of the latest {@link #transform}: rows whose features were null or could not be
   * used (their outputs are null), counted as the rows are computed (after an action; a recomputed
   * partition counts again). Null before the first transform.
   */
  public LongAccumulator errorCount() {
    return errors;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    features(schema);
    StructType out = schema;
    for (StructField f : outputFields()) {
      if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": output column '" + f.name()
            + "' already exists");
      }
      out = out.add(f);
    }
    return out;
  }

  /** The features column of {@code schema}, whose array or Vector shape must be the network's input. */
  private Features features(StructType schema) {
    int[] declared = getFeaturesShape();
    Shape input = inputShape();
    Features f = Features.of(getClass().getSimpleName(), schema, getFeaturesCol(), input.dims());
    if ((f.kind() == Features.Kind.ARRAY || f.kind() == Features.Kind.VECTOR) && declared.length > 0
        && !Arrays.equals(declared, input.dims())) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": column '" + getFeaturesCol()
          + "': featuresShape " + Arrays.toString(declared) + " is not the model's input " + input);
    }
    return f;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    Dataset<Row> df = dataset.toDF();
    SparkSession spark = df.sparkSession();
    if (getInferenceBatch() < 1) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": inferenceBatch must be >= 1, not "
          + getInferenceBatch());
    }
    String backend = backend(getBackend());
    errors = spark.sparkContext().longAccumulator("fovea: rows without a prediction (" + uid + ")");
    StructType in = df.schema();
    int id = Arrays.asList(in.fieldNames()).contains("path") ? in.fieldIndex("path") : -1;
    Features features = features(in);
    int column = in.fieldIndex(getFeaturesCol());
    Inference task = new Inference(getClass().getSimpleName(), hash, broadcast(spark), features, column, id,
        getInferenceBatch(), getStrict(), backend, errors, outputs());
    Dataset<Row> result;
    if ((features.kind() == Features.Kind.ARRAY || features.kind() == Features.Kind.BYTES) && !df.isStreaming()) {
      // arrays of numbers from Spark's internal rows in one copy each (the row encoder boxes every value), image
      // bytes as they are; the output rows through the row encoder's generated serializer, as below
      InternalRowReader reader = new InternalRowReader(in, column);
      JavaRDD<Row> rows = df.queryExecution().toRdd().toJavaRDD()
          .mapPartitions((FlatMapFunction<java.util.Iterator<InternalRow>, Row>) it -> task.apply(reader.rows(it)));
      result = spark.createDataset(rows.rdd(), Encoders.row(out));
    } else {
      // Dataset.mapPartitions converts rows with generated code both ways (javaRDD and createDataFrame
      // convert each value through interpreted converters, a third of transform's time on LeNet)
      result = df.mapPartitions((MapPartitionsFunction<Row, Row>) task::apply, Encoders.row(out));
    }
    // the row encoder drops columns' metadata: the input's, and the output columns' own
    return withMetadata(result, out);
  }

  /**
   * Backends resolved in this JVM by name: resolving {@code auto} probes the native libraries, 1–2
   * ms of the driver's fixed cost per {@code transform} call.
   */
  private static final java.util.concurrent.ConcurrentHashMap<String, String> BACKENDS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The backend {@code name} resolves to here (refused as {@link Backends#resolve} refuses it). */
  static String backend(String name) {
    String b = BACKENDS.get(name);
    if (b == null) {
      b = Backends.resolve(name, w -> { }).name();
      BACKENDS.put(name, b);
    }
    return b;
  }

  /** {@code df} with the metadata of {@code schema}'s columns (one projection; names quoted, dots and all). */
  static Dataset<Row> withMetadata(Dataset<Row> df, StructType schema) {
    org.apache.spark.sql.Column[] cols = new org.apache.spark.sql.Column[schema.size()];
    for (int i = 0; i < cols.length; i++) {
      StructField f = schema.fields()[i];
      cols[i] = df.col("`" + f.name().replace("`", "``") + "`").as(f.name(), f.metadata());
    }
    return df.select(cols);
  }

  /**
   * The inference of this model for {@link FoveaUdfs}' function {@code function}: features of
   * {@code kind} (the UDF picks one by the value's class).
   */
  Inference inference(SparkSession spark, String function, Features.Kind kind, boolean strict, LongAccumulator counter) {
    String backend = backend(getBackend());
    return new Inference("SQL function " + function + " (" + getClass().getSimpleName() + ")", hash, broadcast(spark),
        new Features(function, kind, inputShape().dims()), -1, -1, 1, strict, backend, counter, outputs());
  }

  /** The model file, broadcast once per Spark context and reused by every later call. */
  private synchronized Broadcast<byte[]> broadcast(SparkSession spark) {
    SparkContext sc = spark.sparkContext();
    if (broadcast == null || broadcastContext != sc || sc.isStopped()) {
      broadcast = JavaSparkContext.fromSparkContext(sc).broadcast(file);
      broadcastContext = sc;
    }
    return broadcast;
  }

  @Override
  public M copy(ParamMap extra) {
    M m = newInstance(uid, file);
    m.withTraining(training);
    return copyValues(m, extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return StageIO.writer(this, (path, conf) -> StageIO.write(conf, new Path(path, "model.fovea"), file));
  }

  /** The reader of a saved model of class {@code cls}, made by {@code make} from its uid and file. */
  static <M extends AbstractFoveaModel<M>> MLReader<M> reader(Class<M> cls, BiFunction<String, byte[], M> make) {
    return new MLReader<>() {
      @Override
      public M load(String path) {
        Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
        var meta = StageIO.loadMetadata(path, conf, cls.getName());
        byte[] bytes;
        Path p = new Path(path, "model.fovea");
        try {
          bytes = StageIO.read(conf, p, MAX_MODEL_BYTES);
        } catch (IOException e) {
          throw new IllegalArgumentException(p + ": cannot read the model file: " + e.getMessage(), e);
        }
        M m = make.apply(meta.path("uid").asText(), bytes);
        StageIO.applyParams(m, meta);
        return m;
      }
    };
  }

  private static ModelFile.Model parse(byte[] bytes, String name) {
    try {
      return ModelFile.read(new ByteArrayInputStream(bytes), bytes.length, name);
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
