package dev.fovea.nn;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The generator of the seed corpora of {@link ModelFileFuzzTest} and {@link NetworkJsonFuzzTest}: a
 * small valid model file with and without optimizer state and damaged copies of it (cut short, a
 * flipped byte, a 2 GB header length, a 3 GB parameter count, each with its checksum made valid), and
 * network descriptions (valid, and with integers out of range or fractional). Run from the module
 * folder: {@code java -cp <test classpath> dev.fovea.nn.FuzzSeeds src/test/resources}.
 */
public final class FuzzSeeds {
  /** A small network with every kind of slice: convolution weights and bias, batch-norm buffers, dense. */
  static final String NETWORK = """
      {"input_shape": [1, 4, 4],
       "layers": [
         {"type": "convolution", "name": "c", "filters": 2, "kernel": [3, 3], "padding": [1, 1]},
         {"type": "batch_norm", "name": "bn"},
         {"type": "activation", "name": "r", "function": "relu"},
         {"type": "global_pooling", "name": "g", "kind": "avg"},
         {"type": "dense", "name": "fc", "units": 3}]}
      """;

  private FuzzSeeds() {}

  /** The small network as a model file; with {@code optimizer}, with 2 optimizer state values per parameter. */
  static byte[] model(boolean optimizer) throws IOException {
    Network net = NetworkJson.parse(NETWORK, "seed");
    float[] params = net.layout().initialize(3);
    ModelFile.OptimizerState opt = optimizer
        ? new ModelFile.OptimizerState("adam", 7, new float[2 * params.length]) : null;
    ModelFile.Model m = new ModelFile.Model(net, null, List.of("a", "b", "c"), params,
        net.bufferLayout().initialize(0), opt, Map.of("code_version", "seed"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelFile.write(m, out);
    return out.toByteArray();
  }

  public static void main(String[] args) throws IOException {
    Path models = Path.of(args[0], "dev/fovea/nn/ModelFileFuzzTestInputs/modelFile");
    Files.createDirectories(models);
    byte[] valid = model(false);
    Files.write(models.resolve("valid"), valid);
    Files.write(models.resolve("valid-with-optimizer"), model(true));
    Files.write(models.resolve("truncated"), Arrays.copyOf(valid, valid.length / 2));
    byte[] flipped = valid.clone();
    flipped[40] ^= 0x10;
    Files.write(models.resolve("flipped-byte"), flipped);
    byte[] header = valid.clone();
    ByteBuffer.wrap(header).putInt(12, Integer.MAX_VALUE);
    Files.write(models.resolve("huge-header-length"), ModelFileFuzzTest.withCrc(header));
    byte[] count = valid.clone();
    int at = 16 + ByteBuffer.wrap(valid).getInt(12);
    ByteBuffer.wrap(count).putInt(at, 750_000_000); // 3 GB of float32 parameters
    Files.write(models.resolve("huge-parameter-count"), ModelFileFuzzTest.withCrc(count));

    Path nets = Path.of(args[0], "dev/fovea/nn/NetworkJsonFuzzTestInputs/networkJson");
    Files.createDirectories(nets);
    Files.writeString(nets.resolve("valid.json"), NETWORK, StandardCharsets.UTF_8);
    Files.writeString(nets.resolve("int-overflow.json"), NETWORK.replace("\"filters\": 2", "\"filters\": 4294967796"));
    Files.writeString(nets.resolve("fraction.json"), NETWORK.replace("\"units\": 3", "\"units\": 500.9"));
    Files.writeString(nets.resolve("huge-shape.json"), NETWORK.replace("[1, 4, 4]", "[65536, 65536, 65536]"));
    Files.writeString(nets.resolve("residual.json"), """
        {"input_shape": [3, 8, 8],
         "layers": [
           {"type": "convolution", "name": "c1", "filters": 4, "kernel": 3, "padding": 1, "stride": 2},
           {"type": "pooling", "name": "p", "kind": "max", "kernel": [2, 2], "stride": [1, 1], "same": true},
           {"type": "convolution", "name": "c2", "filters": 4, "kernel": [1, 1]},
           {"type": "add", "name": "res", "inputs": ["c2", "p"]},
           {"type": "deconvolution", "name": "d", "filters": 2, "kernel": [2, 2], "stride": [2, 2]},
           {"type": "flatten", "name": "f"},
           {"type": "dense", "name": "fc", "units": 2}],
         "output": "fc"}
        """);
  }
}
