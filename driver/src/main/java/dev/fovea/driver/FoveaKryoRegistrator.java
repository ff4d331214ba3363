package dev.fovea.driver;

import com.esotericsoftware.kryo.Kryo;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.data.shard.ShardWriter;
import dev.fovea.driver.averaging.Averager;
import dev.fovea.driver.worker.Evaluation;
import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import org.apache.spark.serializer.KryoRegistrator;

/** Registers every Fovea class that travels between driver and executors with Kryo. */
public final class FoveaKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(float[].class);
    kryo.register(double[].class);
    kryo.register(int[].class);
    kryo.register(long[].class);
    kryo.register(byte[].class);
    kryo.register(java.util.TreeSet.class);
    kryo.register(TrainState.class);
    kryo.register(RoundResult.class);
    kryo.register(Averager.class);
    kryo.register(dev.fovea.driver.averaging.ShardedReduce.Partial.class);
    kryo.register(dev.fovea.driver.averaging.ShardedReduce.SliceCopy.class);
    kryo.register(dev.fovea.driver.averaging.AllReduce.GroupResult.class);
    kryo.register(dev.fovea.driver.averaging.AllReduce.GroupResult[].class);
    kryo.register(Evaluation.class);
    kryo.register(Evaluation.Mistake.class);
    kryo.register(Evaluation.Mistake[].class);
    kryo.register(SampleBlock.class);
    kryo.register(ShardWriter.ShardResult.class);
    kryo.register(dev.fovea.data.shard.ImageShardWriter.Candidate.class);
    // the image sharding job's package-private records travel between its stages
    for (String name : new String[] {"dev.fovea.data.source.ImageSources$Listing",
        "dev.fovea.data.shard.ImageShardWriter$Encoded", "dev.fovea.data.shard.ImageShardWriter$Stats"}) {
      try {
        kryo.register(Class.forName(name, false, FoveaKryoRegistrator.class.getClassLoader()));
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Kryo registration: " + name + " is missing from the class path", e);
      }
    }
    // Spark ML's StringIndexer counts labels per partition in an OpenHashMap[] (specialized, with its
    // OpenHashSet, hasher and ClassTags): Spark 4 registers these with Kryo itself, Spark 3.5 does not
    // ("Class is not registered: ...OpenHashMap[]", then "...OpenHashMap$mcJ$sp"). By name, since a
    // specialization may be absent on one line.
    registerPresent(kryo, "org.apache.spark.util.collection.OpenHashMap",
        "[Lorg.apache.spark.util.collection.OpenHashMap;", "org.apache.spark.util.collection.OpenHashMap$mcJ$sp",
        "org.apache.spark.util.collection.OpenHashMap$mcI$sp", "org.apache.spark.util.collection.OpenHashMap$mcD$sp",
        "org.apache.spark.util.collection.OpenHashSet", "org.apache.spark.util.collection.OpenHashSet$mcI$sp",
        "org.apache.spark.util.collection.OpenHashSet$mcJ$sp", "org.apache.spark.util.collection.OpenHashSet$Hasher",
        "org.apache.spark.util.collection.OpenHashSet$LongHasher", "org.apache.spark.util.collection.OpenHashSet$IntHasher",
        "org.apache.spark.util.collection.OpenHashSet$DoubleHasher",
        "org.apache.spark.util.collection.OpenHashSet$FloatHasher", "org.apache.spark.util.collection.BitSet",
        "scala.reflect.ClassTag$GenericClassTag", "scala.reflect.ManifestFactory$LongManifest",
        "scala.reflect.ManifestFactory$IntManifest", "scala.reflect.ManifestFactory$DoubleManifest",
        "scala.reflect.ClassTag$$anon$1");
    // Structured Streaming's sinks send each task's commit message back to the driver (the file sink: the
    // files it wrote; the memory, foreach and foreachBatch sinks: messages of their own). Spark does not
    // register them with Kryo, so with registration required (Fovea's sessions) a stream of transform's
    // predictions could not be written, nor Parquet files of them read. By name: the file sink's status
    // moved package in Spark 4.
    registerPresent(kryo, "org.apache.spark.sql.execution.streaming.sinks.SinkFileStatus",
        "[Lorg.apache.spark.sql.execution.streaming.sinks.SinkFileStatus;",
        "org.apache.spark.sql.execution.streaming.SinkFileStatus",
        "[Lorg.apache.spark.sql.execution.streaming.SinkFileStatus;",
        "org.apache.spark.sql.execution.streaming.sources.MemoryWriterCommitMessage",
        "org.apache.spark.sql.execution.streaming.sources.ForeachWriterCommitMessage$",
        "org.apache.spark.sql.execution.streaming.sources.PackedRowCommitMessage",
        // a schema with ML vectors or matrices (transform's output columns) travels when Spark reads the footers
        // of Parquet files that hold them (inferring the schema of saved predictions)
        "org.apache.spark.ml.linalg.VectorUDT", "org.apache.spark.ml.linalg.MatrixUDT",
        // and the types of their SQL form, which Spark 3.5 does not register (4.x does)
        "org.apache.spark.sql.types.ByteType$", "org.apache.spark.sql.types.ShortType$",
        "org.apache.spark.sql.types.IntegerType$", "org.apache.spark.sql.types.LongType$",
        "org.apache.spark.sql.types.FloatType$", "org.apache.spark.sql.types.DoubleType$",
        "org.apache.spark.sql.types.BooleanType$", "org.apache.spark.sql.types.BinaryType$",
        "org.apache.spark.sql.types.ArrayType", "org.apache.spark.sql.types.Metadata");
    kryo.register(java.util.ArrayList.class);
    kryo.register(java.util.TreeMap.class);
    kryo.register(java.util.HashMap.class);
    kryo.register(String[].class);
    kryo.register(Object[].class);
  }

  /** Registers the classes of {@code names} that this Spark and Scala line has; the others are skipped. */
  private static void registerPresent(Kryo kryo, String... names) {
    for (String name : names) {
      try {
        kryo.register(Class.forName(name, false, FoveaKryoRegistrator.class.getClassLoader()));
      } catch (ClassNotFoundException e) {
        // absent on this Spark or Scala line
      }
    }
  }
}
