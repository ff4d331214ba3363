package dev.fovea.nn;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The layout of a network's one flat parameter vector: every trainable tensor is a named slice
 * {@code [offset, offset + shape.size())}. Averaging, shipping, checkpoints and model files work on
 * the whole vector; the layout is saved with it.
 */
public final class ParamLayout {

  /** One named parameter tensor inside the flat vector. */
  public record Slice(String name, Shape shape, int offset, ParamInit init, int fanIn, int fanOut) {
    public int size() {
      return shape.size();
    }
  }

  private final List<Slice> slices;
  private final int size;

  private ParamLayout(List<Slice> slices, int size) {
    this.slices = Collections.unmodifiableList(slices);
    this.size = size;
  }

  public List<Slice> slices() {
    return slices;
  }

  /** Total number of parameters. */
  public int size() {
    return size;
  }

  public Slice slice(String name) {
    for (Slice s : slices) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no parameter named '" + name + "'");
  }

  /**
   * A freshly initialised parameter vector. Slice i draws from its own stream derived from
   * ({@code seed}, i), so one slice's values do not depend on the sizes of the others.
   */
  public float[] initialize(long seed) {
    float[] values = new float[size];
    for (int i = 0; i < slices.size(); i++) {
      Slice s = slices.get(i);
      SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
      s.init().fill(values, s.offset(), s.size(), s.fanIn(), s.fanOut(), rng);
    }
    return values;
  }

  /** Builds a layout slice by slice, in order. */
  public static final class Builder {
    private final List<Slice> slices = new ArrayList<>();
    private int size;

    public Slice add(String name, Shape shape, ParamInit init, int fanIn, int fanOut) {
      for (Slice s : slices) {
        if (s.name().equals(name)) {
          throw new IllegalArgumentException("duplicate parameter name '" + name + "'");
        }
      }
      Slice s = new Slice(name, shape, size, init, fanIn, fanOut);
      size = Sizes.add(size, shape.size(), "parameters up to and including '" + name + "' " + shape
          + " (more than a Java array holds)");
      slices.add(s);
      return s;
    }

    public ParamLayout build() {
      return new ParamLayout(new ArrayList<>(slices), size);
    }
  }
}
