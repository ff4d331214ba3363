package dev.fovea.nn.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fovea.nn.Add;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.ModelFile.ModelFileException;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.onnx.proto.Onnx.ModelProto;
import dev.fovea.nn.onnx.proto.Onnx.StringStringEntryProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX model into a Fovea model. A file Fovea exported carries its architecture in the
 * metadata ({@code fovea.architecture}); it comes back as that network with every parameter and
 * buffer read bitwise from the initializers of the same names. Any other file is translated node by
 * node: Conv, ConvTranspose, Gemm, MatMul (+ Add of a bias), MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, BatchNormalization, the activations, Add/Sum, Concat,
 * Flatten/Reshape/Squeeze of a classifier head, Dropout/Identity, LRN, Resize/Upsample, Pad and a
 * final Softmax (dropped: Fovea's networks end in logits). See docs/interop.md for the details and
 * limits.
 *
 * <p>Every problem is a {@link ModelFileException} whose one-line message names the file and, for
 * an operator Fovea lacks, the node and its op type.
 */
public final class OnnxImport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OnnxImport() {}

  /** The largest ONNX file read: protobuf's limit for one message (an untrusted file is refused above it). */
  public static final int MAX_BYTES = dev.fovea.kernels.Sizes.MAX_ARRAY - 1;

  /** Reads {@code file}. */
  public static ModelFile.Model read(Path file) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(file)) {
      return read(in, Files.size(file), file.toString());
    }
  }

  /**
   * Reads the ONNX model of {@code length} bytes (-1: unknown) in {@code in}: a file over {@link
   * #MAX_BYTES} is refused from its length before any of it is read, and memory grows with the bytes
   * that arrive, never with a size the file claims.
   */
  public static ModelFile.Model read(java.io.InputStream in, long length, String name) throws IOException {
    if (length > MAX_BYTES) {
      throw new ModelFileException(name + ": " + length + " bytes; an ONNX file may have at most " + MAX_BYTES);
    }
    byte[] bytes = dev.fovea.kernels.Sizes.readAtMost(in, MAX_BYTES);
    if (bytes.length > MAX_BYTES) {
      throw new ModelFileException(name + ": more than " + MAX_BYTES + " bytes; an ONNX file may have at most "
          + MAX_BYTES);
    }
    return read(bytes, name);
  }

  /** Reads the ONNX model in {@code bytes}; {@code name} (the file) is named in every error. */
  public static ModelFile.Model read(byte[] bytes, String name) throws ModelFileException {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFileException(name + ": not a readable ONNX model (truncated or corrupt protobuf: "
          + e.getMessage() + ")");
    }
    if (!m.hasGraph() || m.getGraph().getNodeCount() == 0 || m.getGraph().getOutputCount() == 0) {
      throw new ModelFileException(name + ": not an ONNX model (no graph with nodes and outputs; truncated?)");
    }
    Map<String, String> meta = new LinkedHashMap<>();
    for (StringStringEntryProto e : m.getMetadataPropsList()) {
      meta.put(e.getKey(), e.getValue());
    }
    Map<String, String> prov = new LinkedHashMap<>();
    meta.forEach((k, v) -> {
      if (k.startsWith("fovea.provenance.")) {
        prov.put(k.substring("fovea.provenance.".length()), v);
      }
    });
    prov.put("onnx_source", name);
    prov.put("onnx_producer", (m.getProducerName() + " " + m.getProducerVersion()).trim());
    Map<String, TensorProto> inits = new HashMap<>();
    for (TensorProto t : m.getGraph().getInitializerList()) {
      inits.put(t.getName(), t);
    }
    Network net;
    float[] params;
    float[] buffers;
    if (meta.containsKey(OnnxExport.META_ARCHITECTURE)) {
      try {
        net = NetworkJson.parse(meta.get(OnnxExport.META_ARCHITECTURE), name + ": metadata " + OnnxExport.META_ARCHITECTURE);
      } catch (IllegalArgumentException e) {
        throw new ModelFileException(e.getMessage());
      }
      params = values(net.layout(), inits, name);
      buffers = values(net.bufferLayout(), inits, name);
    } else {
      OnnxTranslation t = new OnnxTranslation(m.getGraph(), inits, name);
      t.run();
      net = t.network();
      params = new float[net.layout().size()];
      buffers = new float[net.bufferLayout().size()];
      for (ParamLayout.Slice s : net.layout().slices()) {
        float[] v = t.values.get(s.name());
        System.arraycopy(v, 0, params, s.offset(), s.size());
      }
      for (ParamLayout.Slice s : net.bufferLayout().slices()) {
        float[] v = t.values.get(s.name());
        System.arraycopy(v, 0, buffers, s.offset(), s.size());
      }
    }
    List<String> classes = new ArrayList<>();
    if (meta.containsKey(OnnxExport.META_CLASSES)) {
      try {
        JSON.readTree(meta.get(OnnxExport.META_CLASSES)).forEach(n -> classes.add(n.asText()));
      } catch (IOException e) {
        throw new ModelFileException(name + ": metadata " + OnnxExport.META_CLASSES
            + " is not a JSON array");
      }
    }
    if (classes.size() != net.numClasses()) {
      classes.clear();
      for (int i = 0; i < net.numClasses(); i++) {
        classes.add(Integer.toString(i));
      }
    }
    return new ModelFile.Model(net, meta.get(OnnxExport.META_ZOO), classes, params, buffers, null, prov);
  }

  /** The values of every slice of {@code layout}, each from the initializer of its name. */
  private static float[] values(ParamLayout layout, Map<String, TensorProto> inits, String file)
      throws ModelFileException {
    float[] v = new float[layout.size()];
    for (ParamLayout.Slice s : layout.slices()) {
      TensorProto t = inits.get(s.name());
      if (t == null) {
        throw new ModelFileException(file + ": initializer '" + s.name() + "' of the Fovea architecture is missing");
      }
      float[] f = floats(t, file);
      if (f.length != s.size()) {
        throw new ModelFileException(file + ": initializer '" + s.name() + "' has " + f.length + " values, "
            + s.shape() + " needs " + s.size());
      }
      System.arraycopy(f, 0, v, s.offset(), f.length);
    }
    return v;
  }

  static long count(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return n;
  }

  /** The float values of a FLOAT (or DOUBLE) tensor, row-major. */
  static float[] floats(TensorProto t, String file) throws ModelFileException {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new ModelFileException(file + ": tensor '" + t.getName() + "' keeps its data in an external file, which"
          + " Fovea does not read");
    }
    long n = count(t);
    if (n > Integer.MAX_VALUE) {
      throw new ModelFileException(file + ": tensor '" + t.getName() + "' is too large");
    }
    float[] f = new float[(int) n];
    if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      if (t.hasRawData()) {
        if (t.getRawData().size() != 4 * n) {
          throw new ModelFileException(file + ": tensor '" + t.getName() + "' has " + t.getRawData().size()
              + " bytes of data for " + n + " floats (truncated or corrupt)");
        }
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
      } else if (t.getFloatDataCount() == n) {
        for (int i = 0; i < n; i++) {
          f[i] = t.getFloatData(i);
        }
      } else {
        throw new ModelFileException(file + ": tensor '" + t.getName() + "' has " + t.getFloatDataCount()
            + " values for " + n + " elements");
      }
    } else if (t.getDataType() == TensorProto.DataType.DOUBLE_VALUE && !t.hasRawData() && t.getDoubleDataCount() == n) {
      for (int i = 0; i < n; i++) {
        f[i] = (float) t.getDoubleData(i);
      }
    } else {
      throw new ModelFileException(file + ": tensor '" + t.getName() + "' has data type " + t.getDataType()
          + " where Fovea needs float32");
    }
    return f;
  }

  /** The integer values of an INT64 or INT32 tensor. */
  static long[] longs(TensorProto t, String file) throws ModelFileException {
    int n = (int) count(t);
    long[] v = new long[n];
    if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
      if (t.hasRawData()) {
        if (t.getRawData().size() != 8L * n) {
          throw new ModelFileException(file + ": tensor '" + t.getName() + "' has the wrong number of bytes");
        }
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
      } else {
        for (int i = 0; i < Math.min(n, t.getInt64DataCount()); i++) {
          v[i] = t.getInt64Data(i);
        }
      }
    } else if (t.getDataType() == TensorProto.DataType.INT32_VALUE) {
      if (t.hasRawData()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          v[i] = b.getInt();
        }
      } else {
        for (int i = 0; i < Math.min(n, t.getInt32DataCount()); i++) {
          v[i] = t.getInt32Data(i);
        }
      }
    } else {
      throw new ModelFileException(file + ": tensor '" + t.getName() + "' is not an integer tensor");
    }
    return v;
  }
}
