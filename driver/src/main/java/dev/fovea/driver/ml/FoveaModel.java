package dev.fovea.driver.ml;

import dev.fovea.nn.Loss;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;

/**
 * A network trained by {@link FoveaEstimator} as a Spark ML {@code Transformer}: {@link #transform}
 * appends {@code prediction}, an {@code array<float>} that fits the network's loss: the network's
 * outputs for {@code mse} and {@code l1} (regression), the label probabilities {@code σ(y)} for
 * {@code sigmoid_bce} (multi-label), which also gets {@code predictedLabels}, the {@code
 * array<int>} of the labels whose probability is above {@code threshold}; for {@code
 * pixel_softmax_cross_entropy} (segmentation) {@code prediction} is an {@code array<int>} of each
 * pixel's class (the largest of its K outputs), H·W values row by row. Prediction runs in batches
 * on the executors ({@link Inference}) as {@link FoveaClassificationModel}'s does; saved and loaded
 * as it is.
 */
public final class FoveaModel extends AbstractFoveaModel<FoveaModel> implements TargetParams<FoveaModel> {
  private static final long serialVersionUID = 1L;

  private final Labels labels;

  /**
   * The model in {@code file}, the bytes of a {@code .fovea} file.
   *
   * @throws IllegalArgumentException when the bytes are not a model file, or the model records no
   *     input normalisation
   */
  public FoveaModel(String uid, byte[] file) {
    super(uid, file);
    labels = new Labels(this);
  }

  /** A model with a new uid. */
  public FoveaModel(byte[] file) {
    this(Identifiable.randomUID("FoveaModel"), file);
  }

  @Override
  public Labels labels() {
    return labels;
  }

  @Override
  FoveaModel newInstance(String uid, byte[] file) {
    return new FoveaModel(uid, file);
  }

  /** The loss the network was trained with: what {@code prediction} holds. */
  public Loss loss() {
    return model().network().loss();
  }

  /** Values in {@code prediction}: the network's output size. */
  public int outputSize() {
    return model().network().outputShape().size();
  }

  @Override
  List<StructField> outputFields() {
    List<StructField> f = new ArrayList<>(List.of(new StructField(getPredictionCol(), DataTypes.createArrayType(
        loss() == Loss.PIXEL_SOFTMAX_CROSS_ENTROPY ? DataTypes.IntegerType : DataTypes.FloatType, false), true,
        Metadata.empty())));
    if (loss() == Loss.SIGMOID_BCE) {
      f.add(new StructField(getPredictedLabelsCol(), DataTypes.createArrayType(DataTypes.IntegerType, false), true,
          Metadata.empty()));
    }
    return f;
  }

  @Override
  Inference.Outputs outputs() {
    double t = getThreshold();
    if (!(t > 0 && t < 1)) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": threshold must be in (0, 1), not " + t);
    }
    return new Outputs(loss() == Loss.SIGMOID_BCE, t, loss() == Loss.PIXEL_SOFTMAX_CROSS_ENTROPY
        ? model().network().outputShape().dim(0) : 0);
  }

  /**
   * prediction: the raw outputs as floats, or for a multi-label model their σ, and predictedLabels:
   * the indices whose σ is above {@code threshold}; for a segmenter ({@code pixelClasses} K &gt; 0,
   * outputs (K, H, W)) each pixel's class.
   */
  record Outputs(boolean multiLabel, double threshold, int pixelClasses) implements Inference.Outputs {
    private static final long serialVersionUID = 1L;

    @Override
    public int count() {
      return multiLabel ? 2 : 1;
    }

    @Override
    public void put(double[] raw, Object[] row, int at) {
      if (pixelClasses > 0) {
        int pixels = raw.length / pixelClasses;
        Object[] c = new Object[pixels];
        for (int q = 0; q < pixels; q++) {
          int best = 0;
          for (int k = 1; k < pixelClasses; k++) {
            best = raw[k * pixels + q] > raw[best * pixels + q] ? k : best;
          }
          c[q] = best;
        }
        row[at] = seq(c);
        return;
      }
      Object[] p = new Object[raw.length];
      List<Object> on = new ArrayList<>();
      for (int i = 0; i < raw.length; i++) {
        double v = multiLabel ? 1 / (1 + Math.exp(-raw[i])) : raw[i];
        p[i] = (float) v;
        if (multiLabel && v > threshold) {
          on.add(i);
        }
      }
      row[at] = seq(p);
      if (multiLabel) {
        row[at + 1] = seq(on.toArray());
      }
    }
  }

  /**
   * {@code values} as the Scala sequence the row encoder takes for an array column (it takes no Java
   * list or array), through a constructor and a method Scala 2.12 and 2.13 both have.
   */
  static scala.collection.Seq<Object> seq(Object[] values) {
    scala.collection.mutable.ArrayBuffer<Object> b = new scala.collection.mutable.ArrayBuffer<>(values.length);
    for (Object v : values) {
      b.$plus$eq(v);
    }
    return b;
  }

  /** The reader of saved models: {@code FoveaModel.read().load(path)}. */
  public static MLReader<FoveaModel> read() {
    return reader(FoveaModel.class, FoveaModel::new);
  }

  /** {@code read().load(path)}. */
  public static FoveaModel load(String path) {
    return read().load(path);
  }
}
