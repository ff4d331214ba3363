/**
 * The CUDA backend: {@link dev.fovea.kernels.backend.cuda.CudaBackend} runs Fovea's ops with cuDNN
 * and cuBLAS through JavaCPP's CUDA presets ({@code org.bytedeco:cuda}, without the {@code -redist}
 * jars: the CUDA libraries come from the machine), and {@link
 * dev.fovea.kernels.backend.cuda.CudaBackendProvider} registers it as {@code cuda}, preferred by
 * {@code auto} where a device exists. Depends on {@code dev.fovea.kernels} and, for the ops it does
 * not run natively, {@code dev.fovea.kernels.backend.reference}; nothing depends on it except
 * through {@link dev.fovea.kernels.Backends}. The table of native and fallback ops is in {@code
 * docs/ops.md}. Inside, the backend's ops delegate by family to package-private helpers ({@code
 * CudaConvolutionOps}, {@code CudaPoolingOps}, {@code CudaNormalizationOps}, {@code
 * CudaElementwiseOps}) over one {@code CudaOpContext}; each returns false where the reference must run.
 */
package dev.fovea.kernels.backend.cuda;
