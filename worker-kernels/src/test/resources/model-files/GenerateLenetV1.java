// Writes lenet-v1.fovea, the format-version-1 fixture that ModelFileTest keeps loading.
// It was run once against the code at commit 15693a0 (before format version 2), from the
// repository root after `mvn -o -pl worker-kernels compile`:
//
//   J=~/.m2/repository/com/fasterxml/jackson/core
//   CP=worker-kernels/target/classes:$J/jackson-databind/2.21.2/jackson-databind-2.21.2.jar:\
//   $J/jackson-core/2.21.2/jackson-core-2.21.2.jar:$J/jackson-annotations/2.21/jackson-annotations-2.21.jar
//   java -cp $CP worker-kernels/src/test/resources/model-files/GenerateLenetV1.java \
//       worker-kernels/src/test/resources/model-files/lenet-v1.fovea
//
// LeNet for (1, 28, 28) and 10 classes, parameters from layout().initialize(41), class names
// "c0".."c9". Current code no longer writes version 1; the file must not be regenerated.

import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class GenerateLenetV1 {
  public static void main(String[] args) throws Exception {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      names.add("c" + i);
    }
    Map<String, String> prov = new LinkedHashMap<>();
    prov.put("code_version", "15693a0");
    prov.put("backend", "reference");
    prov.put("note", "format version 1 fixture");
    ModelFile.Model m = new ModelFile.Model("lenet", Shape.of(1, 28, 28), names, net.layout().initialize(41), prov);
    try (OutputStream out = new FileOutputStream(args[0])) {
      ModelFile.write(m, out);
    }
  }
}
