package dev.fovea.driver;

import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Starting a run from a trained model: every parameter and buffer slice of the new network whose
 * name and shape match the model's is copied; slices of layers named in {@code replaceHead}, and
 * those the model lacks or shapes differently (a head for another number of classes), keep their
 * seeded initial values.
 */
final class FineTuning {
  private FineTuning() {}

  static void copyFrom(Configuration conf, TrainConfig c, Network net, float[] params, float[] buffers,
      Consumer<String> log) {
    Path p = new Path(c.initModel());
    ModelFile.Model m;
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      long length = p.getFileSystem(conf).getFileStatus(p).getLen();
      m = c.initModel().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")
          ? dev.fovea.nn.onnx.OnnxImport.read(in, length, c.initModel())
          : dev.fovea.nn.dl4j.Dl4jImport.isDl4jFile(c.initModel())
          ? dev.fovea.nn.dl4j.Dl4jImport.read(in, length, c.initModel()) : ModelFile.read(in, length, c.initModel());
    } catch (ModelFile.ModelFileException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(c.initModel() + ": cannot read: " + e.getMessage(), e);
    }
    for (String layer : c.freeze()) {
      net.layer(layer); // throws naming an unknown layer
    }
    for (String layer : c.replaceHead()) {
      net.layer(layer);
    }
    List<String> copied = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    copy(net.layout(), m.network().layout(), m.params(), params, c.replaceHead(), copied, fresh);
    copy(net.bufferLayout(), m.network().bufferLayout(), m.buffers(), buffers, c.replaceHead(), copied, fresh);
    if (copied.isEmpty()) {
      throw new IllegalArgumentException(c.initModel() + ": no parameter of " + dev.fovea.driver.ModelSpec.labelOf(c.model()) + " matches the model's ("
          + m.zoo() + ")");
    }
    log.accept("starting from " + c.initModel() + ": copied " + copied + "; initialised " + fresh
        + (c.freeze().isEmpty() ? "" : "; frozen layers " + c.freeze()));
  }

  private static void copy(ParamLayout to, ParamLayout from, float[] source, float[] target, List<String> replace,
      List<String> copied, List<String> fresh) {
    for (ParamLayout.Slice s : to.slices()) {
      String layer = s.name().substring(0, s.name().lastIndexOf('.'));
      ParamLayout.Slice t = from.slices().stream().filter(x -> x.name().equals(s.name())).findFirst().orElse(null);
      if (t != null && t.shape().equals(s.shape()) && !replace.contains(layer)) {
        System.arraycopy(source, t.offset(), target, s.offset(), s.size());
        copied.add(s.name());
      } else {
        fresh.add(s.name());
      }
    }
  }
}
