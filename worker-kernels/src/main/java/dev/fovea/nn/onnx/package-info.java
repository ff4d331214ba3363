/**
 * ONNX interchange: {@link dev.fovea.nn.onnx.OnnxExport} writes a model as an ONNX graph (opset 17,
 * inference form, dynamic batch axis), {@link dev.fovea.nn.onnx.OnnxImport} reads one back (Fovea's
 * own exports bitwise, other graphs through {@link dev.fovea.nn.onnx.OnnxTranslation}). The
 * protobuf classes in {@code dev.fovea.nn.onnx.proto} are generated at build time from {@code
 * src/main/proto/onnx.proto}. Depends on {@code dev.fovea.nn} and {@code dev.fovea.kernels}; nothing
 * of Spark. See docs/interop.md.
 */
package dev.fovea.nn.onnx;
