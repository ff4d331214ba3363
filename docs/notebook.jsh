// Fovea from a JVM notebook or jshell: train a small model in local mode and look at the result.
//
//   jshell --class-path "deploy/target/fovea.jar:<every jar in deploy/target/spark/jars>" \
//     -R-Xmx3g -R--add-opens=java.base/sun.nio.ch=ALL-UNNAMED ... docs/notebook.jsh
//
// (deploy/src/test/java/dev/fovea/deploy/NotebookIT.java runs exactly this with the JDK's jshell.)
import dev.fovea.driver.*;

String data = System.getProperty("fovea.data", "/usr/share/datasets/fashion-mnist");
String out = System.getProperty("fovea.out", "out/notebook");

// (jshell ends a statement at the end of a line that completes it, so chains end lines with a dot)
TrainConfig config = TrainConfig.builder().
    data(data).
    out(out).
    model("lenet").
    workers(2).
    epochs(1).
    backend("auto").
    build();

TrainingRun.Result result = Training.run(config);

System.out.printf("notebook: test accuracy %.4f, top-5 %.4f, %d rounds%n",
    result.testAccuracy(), result.evaluation().top5Accuracy(), result.historyRecords().size());
System.out.println("notebook: first round " + result.historyRecords().get(0));
System.out.println("notebook: model " + result.model().zoo() + " with " + result.model().params().length + " parameters");
System.out.println(result.model().network().summary());
/exit
