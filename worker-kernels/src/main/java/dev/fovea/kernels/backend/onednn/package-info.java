/**
 * The oneDNN CPU backend: {@link dev.fovea.kernels.backend.onednn.OneDnnBackend} runs Fovea's ops
 * as oneDNN primitives through the bytedeco JavaCPP presets ({@code org.bytedeco:dnnl}), and {@link
 * dev.fovea.kernels.backend.onednn.OneDnnBackendProvider} registers it as {@code onednn}. Depends
 * on {@code dev.fovea.kernels} and, for fallback, {@code dev.fovea.kernels.backend.reference};
 * nothing outside this package depends on it except through {@link dev.fovea.kernels.Backends}.
 *
 * <h2>Native vs fallback</h2>
 *
 * FLOAT32 convolution (forward, backward-data, backward-weights; 1D/2D/3D, groups, dilation,
 * asymmetric padding, bias), pooling (max, average with and without padding, forward and backward),
 * eltwise (RELU with alpha, IDENTITY), inner product (all three passes) and softmax cross-entropy
 * (oneDNN log-softmax, loss and probabilities finished in Java; its backward is a Java formula) run
 * natively. FLOAT64 tensors, activation kinds without a mapping here, and any descriptor oneDNN
 * reports as unimplemented go to the reference backend, op by op.
 *
 * <h2>Plans and layouts</h2>
 *
 * A plan is built once per (op, shapes, parameters) key and reused. Fovea's tensors are row-major
 * heap arrays, so each call copies inputs into native buffers and outputs back, and every layout a
 * primitive prefers costs a reorder at the boundary. Convolutions therefore time three candidates
 * when planned (all layouts oneDNN's choice; row-major activations with chosen weights; all
 * row-major) and keep the fastest; every candidate is held to the reference in the tests. Weights
 * are remembered by value (a Java copy compared bit for bit), so unchanged weights skip their copy
 * and reorder; identity is never trusted, because parameters are views of one flat vector updated
 * in place.
 *
 * <h2>API</h2>
 *
 * The C API ({@code org.bytedeco.dnnl.global.dnnl.dnnl_*}) rather than the C++ wrapper classes:
 * every object is an opaque handle with an explicit {@code dnnl_*_destroy}, errors are status codes
 * checked at each call (no C++ exceptions crossing JNI), and no JavaCPP deallocator or C++
 * {@code shared_ptr} decides when native memory goes. Each {@link
 * dev.fovea.kernels.backend.onednn.OneDnnPlan} owns its descriptors, primitives and buffers and
 * frees them in {@code close()}; the backend closes its plans, stream and engine in {@code close()}.
 *
 * <h2>Threads</h2>
 *
 * The bytedeco build of oneDNN 3.8.1 reports {@code cpu_runtime = DNNL_RUNTIME_OMP} and bundles GNU
 * libgomp ({@code libgomp.so.1}, preloaded by JavaCPP): oneDNN parallelises with OpenMP, so neither
 * TBB's arenas nor oneDNN's threadpool interop ({@code dnnl_threadpool_interop_*}) exist here. An
 * OpenMP thread count is per calling thread ({@code nthreads-var}); oneDNN reads it through {@code
 * omp_get_max_threads()} when it creates a primitive (many kernels fix their work split then) and
 * when it executes one. So the backend calls {@code omp_set_num_threads(threads)} on the calling
 * thread before it plans and before every run, which limits that backend without touching other
 * threads' backends (the call is skipped when the thread already has that value). The presets do
 * not expose that function; {@code OneDnnThreads} binds it via the JDK 17 foreign linker, which
 * needs {@code --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED} on the JVM
 * (the worker-kernels tests pass them through the {@code onednn-thread-limit} profile on JDK 17 to
 * 19; a Spark executor needs them in {@code spark.executor.extraJavaOptions}). Without them (or on
 * a JDK without that incubator module) the backend warns once per JVM, and the process-wide OpenMP
 * default applies: {@code OMP_NUM_THREADS} from the environment ({@code
 * spark.executorEnv.OMP_NUM_THREADS}), else the CPUs of the affinity mask.
 *
 * <h2>Denormals</h2>
 *
 * Not flushed. oneDNN has no API for it ({@code fpmath_mode} governs down-conversion, not
 * denormals), and setting FTZ/DAZ means running {@code ldmxcsr} on every OpenMP worker, i.e. native
 * code of our own; doing it on the Java thread would change Java's floating-point semantics. The
 * Java thread's FP mode is left untouched.
 */
package dev.fovea.kernels.backend.onednn;
