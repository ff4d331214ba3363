package dev.fovea.nn.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Activation;

/**
 * DL4J's activation functions ({@code org.nd4j.linalg.activations.impl.Activation*}, as their JSON
 * names them) and Fovea's, both ways. Only functions that compute the same values are mapped: DL4J's
 * hard sigmoid ({@code 0.2x + 0.5}) is not Fovea's ({@code x/6 + 1/2}), and is refused.
 */
final class Dl4jActivations {
  private Dl4jActivations() {}

  static final String PACKAGE = "org.nd4j.linalg.activations.impl.";

  /** The Fovea activation of DL4J's {@code activationFn} JSON, or null when Fovea has none like it. */
  static Activation toFovea(JsonNode fn) {
    if (fn == null || fn.isNull()) {
      return Activation.IDENTITY;
    }
    String cls = Dl4jTranslation.simpleClass(fn);
    return switch (cls) {
      case "ActivationIdentity" -> Activation.IDENTITY;
      case "ActivationReLU" -> {
        double slope = number(fn, "negativeSlope", 0);
        double threshold = number(fn, "threshold", 0);
        JsonNode max = fn.get("max");
        if (slope == 0 && threshold == 0 && (max == null || max.isNull())) {
          yield Activation.RELU;
        }
        yield Activation.kerasRelu(slope, max == null || max.isNull() ? null : max.asDouble(), threshold);
      }
      case "ActivationLReLU" -> Activation.leakyRelu(number(fn, "alpha", 0.01));
      case "ActivationReLU6" -> Activation.of(Activation.Kind.RELU6);
      case "ActivationSigmoid" -> Activation.of(Activation.Kind.SIGMOID);
      case "ActivationTanH" -> Activation.of(Activation.Kind.TANH);
      case "ActivationSoftPlus" -> Activation.of(Activation.Kind.SOFTPLUS);
      case "ActivationSoftSign" -> Activation.of(Activation.Kind.SOFTSIGN);
      case "ActivationELU" -> new Activation(Activation.Kind.ELU, number(fn, "alpha", 1), 0);
      case "ActivationSELU" -> Activation.of(Activation.Kind.SELU);
      case "ActivationHardTanH" -> Activation.of(Activation.Kind.HARD_TANH);
      case "ActivationSwish" -> Activation.of(Activation.Kind.SWISH);
      case "ActivationMish" -> Activation.of(Activation.Kind.MISH);
      default -> null;
    };
  }

  private static double number(JsonNode fn, String field, double def) {
    JsonNode v = fn.get(field);
    return v == null || v.isNull() || !v.isNumber() ? def : v.asDouble();
  }

  /** DL4J's JSON for {@code f}, or null when DL4J has no activation computing the same. */
  static ObjectNode toDl4j(Activation f) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    String cls;
    switch (f.kind()) {
      case IDENTITY -> cls = "ActivationIdentity";
      case RELU -> {
        if (f.alpha() == 0) {
          cls = "ActivationReLU";
          n.put("@class", PACKAGE + cls);
          n.putNull("max");
          n.putNull("negativeSlope");
          n.putNull("threshold");
          return n;
        }
        cls = "ActivationLReLU";
        n.put("@class", PACKAGE + cls);
        n.put("alpha", f.alpha());
        return n;
      }
      case RELU6 -> cls = "ActivationReLU6";
      case SIGMOID -> cls = "ActivationSigmoid";
      case TANH -> cls = "ActivationTanH";
      case SOFTPLUS -> cls = "ActivationSoftPlus";
      case SOFTSIGN -> cls = "ActivationSoftSign";
      case ELU -> {
        n.put("@class", PACKAGE + "ActivationELU");
        n.put("alpha", f.alpha());
        return n;
      }
      case SELU -> cls = "ActivationSELU";
      case HARD_TANH -> cls = "ActivationHardTanH";
      case SWISH -> {
        if (f.alpha() != 1) {
          return null;
        }
        cls = "ActivationSwish";
      }
      case MISH -> cls = "ActivationMish";
      default -> {
        return null;
      }
    }
    n.put("@class", PACKAGE + cls);
    return n;
  }
}
