package dev.fovea.driver.ml;

import java.util.List;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;

/**
 * A trained Fovea network as a Spark ML {@code Transformer}: {@link #transform} appends {@code
 * rawPrediction} (the network's outputs), {@code probability} (their softmax) and {@code
 * prediction} (the index of the largest, with the class names as ML attribute metadata, so that
 * {@code IndexToString} needs no labels) as Spark's classifiers do. Prediction runs in batches on
 * the executors ({@link Inference}); nothing is collected.
 *
 * <p>Saved ({@link #write()}) as Spark ML metadata plus the {@code .fovea} model file ({@code
 * model.fovea}: architecture, parameters, class names, input normalisation, provenance); loaded by
 * {@link #read()}, also from inside a saved {@code PipelineModel}.
 */
public final class FoveaClassificationModel extends AbstractFoveaModel<FoveaClassificationModel> {
  private static final long serialVersionUID = 1L;

  /**
   * The model in {@code file}, the bytes of a {@code .fovea} file as {@link
   * dev.fovea.nn.ModelFile#write} writes them.
   *
   * @throws IllegalArgumentException when the bytes are not a model file, or the model records no
   *     input normalisation
   */
  public FoveaClassificationModel(String uid, byte[] file) {
    super(uid, file);
  }

  /** A model with a new uid. */
  public FoveaClassificationModel(byte[] file) {
    this(Identifiable.randomUID("FoveaClassificationModel"), file);
  }

  @Override
  FoveaClassificationModel newInstance(String uid, byte[] file) {
    return new FoveaClassificationModel(uid, file);
  }

  /** The class names by index: the prediction's labels. */
  public List<String> classNames() {
    return model().classNames();
  }

  @Override
  List<StructField> outputFields() {
    return List.of(new StructField(getRawPredictionCol(), SQLDataTypes.VectorType(), true, Metadata.empty()),
        new StructField(getProbabilityCol(), SQLDataTypes.VectorType(), true, Metadata.empty()),
        new StructField(getPredictionCol(), DataTypes.DoubleType, true, NominalAttribute.defaultAttr()
            .withName(getPredictionCol()).withValues(classNames().toArray(new String[0])).toMetadata()));
  }

  @Override
  Inference.Outputs outputs() {
    return Inference.CLASSIFIER;
  }

  /** The reader of saved models: {@code FoveaClassificationModel.read().load(path)}. */
  public static MLReader<FoveaClassificationModel> read() {
    return reader(FoveaClassificationModel.class, FoveaClassificationModel::new);
  }

  /** {@code read().load(path)}. */
  public static FoveaClassificationModel load(String path) {
    return read().load(path);
  }
}
