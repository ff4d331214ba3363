/**
 * The oneDNN CPU backend: {@link dev.fovea.kernels.backend.onednn.OneDnnBackend} runs Fovea's ops
 * as oneDNN primitives through the bytedeco JavaCPP presets ({@code org.bytedeco:dnnl}), and {@link
 * dev.fovea.kernels.backend.onednn.OneDnnBackendProvider} registers it as {@code onednn}. Depends
 * on {@code dev.fovea.kernels} and, for fallback, {@code dev.fovea.kernels.backend.reference};
 * nothing outside this package depends on it except through {@link dev.fovea.kernels.Backends}.
 * Inside, the backend's ops delegate by family to package-private helpers over one plan cache
 * ({@code OneDnnPlans}): {@code OneDnnConvolutionOps} (convolution, transposed convolution, inner
 * product), {@code OneDnnPoolingOps} (pooling, resampling), {@code OneDnnNormalizationOps} (batch
 * norm, LRN, softmax, softmax cross-entropy) and {@code OneDnnElementwiseOps} (activations, sum,
 * concat); each returns false where the reference must run.
 *
 * <h2>Native vs fallback</h2>
 *
 * FLOAT32 convolution and transposed convolution (all three passes), pooling, resampling,
 * batch normalisation, LRN, inner product, softmax and log-softmax, softmax cross-entropy, concat,
 * sum and the element-wise kinds oneDNN computes with the reference's formula and derivative run
 * natively; the table in {@code docs/ops.md} lists each op, its primitive and when it falls back.
 * FLOAT64 tensors, activation kinds without a mapping here, and any descriptor oneDNN reports as
 * unimplemented go to the reference backend, op by op.
 *
 * <p>Native memory: buffers that hold nothing from one call to the next (activations copied in,
 * their reordered copies, outputs, workspaces) are laid out by every plan from the start of one
 * arena the backend's plans share ({@code OneDnnContext.Arena}); only the buffers remembered
 * weights are reordered into have memory of their own. So a backend holds the largest plan's
 * transient bytes plus its weights, not the sum over all plans. {@link
 * dev.fovea.kernels.backend.onednn.OneDnnBackend#nativeBytes()} counts that, plus each primitive's
 * own memory (scratchpad, as oneDNN reports it), and {@link
 * dev.fovea.kernels.backend.onednn.OneDnnBackend#peakNativeBytes()} is its high-water mark;
 * {@code close()} releases all of it. {@code TrainingStepBenchmark --memory} prints the peak per
 * zoo model.
 *
 * <h2>Plans and layouts</h2>
 *
 * A plan is built once per (op, shapes, parameters) key and reused. Fovea's tensors are row-major
 * heap arrays, so each call copies inputs into native buffers and outputs back, and every layout a
 * primitive prefers costs a reorder at the boundary. Convolutions have three candidates (all
 * layouts oneDNN's choice; row-major activations with chosen weights; all row-major) and take the
 * first that oneDNN runs with a non-reference kernel, never the fastest by a clock: the candidates'
 * results differ in the last bits, so a timed choice broke same-seed reproducibility (one run with
 * one seed trained other parameters than the next). Every candidate is held to the reference in
 * the tests. Weights
 * are remembered by value (a Java copy compared bit for bit), so unchanged weights skip their copy
 * and reorder; identity is never trusted, because parameters are views of one flat vector updated
 * in place.
 *
 * <h2>Compiled network steps</h2>
 *
 * The backend also implements {@link dev.fovea.kernels.NetworkCompiler}: {@code
 * dev.fovea.nn.Network} hands it a whole step as a {@link dev.fovea.kernels.NetworkGraph}, which
 * the backend-neutral {@link dev.fovea.kernels.compile.CompiledStep} plans (order, fusion, in-place
 * choices, buffer reuse, gradient summation, host fallbacks, the cache of steps) and {@code
 * OneDnnLowering} lowers: memory descriptors as layouts ({@code format_tag any}, not timed),
 * reorders as conversions, a primitive per op forward and backward, ReLUs fused into the
 * convolution or batch norm before them. Steps are cached per (network, batch, mode) and freed in
 * {@code close()}; their buffers are {@code malloc}ed blocks ({@code OneDnnMemory}) counted in
 * {@code nativeBytes()}.
 *
 * <p>A step compiled resident ({@code compileResident}, for {@code dev.fovea.nn.Trainer}) also
 * keeps the parameters, gradients and optimizer state native across the steps of a round, weights in
 * the primitives' blocked layouts, and runs the update rule there (the rule's own formula over
 * direct views of the native segments, this backend's update kernel): weights are reordered in and out
 * once per round instead of every step.
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
 * The bytedeco build of oneDNN (checked on 3.8.1; the pinned version is in the parent pom) reports {@code cpu_runtime = DNNL_RUNTIME_OMP} and bundles GNU
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
 * Flushed to zero inside oneDNN, not on the Java thread ({@code OneDnnDenormals}). oneDNN has no
 * API for it ({@code fpmath_mode} governs down-conversion, not denormals) and the presets expose no
 * MXCSR access, so glibc's {@code fegetenv} / {@code fesetenv} are bound through the same foreign
 * linker as {@code omp_set_num_threads}: around planning and every execution the backend saves the
 * calling thread's environment, sets FTZ (MXCSR bit 15) and DAZ (bit 6), and afterwards restores
 * the saved environment, so Java arithmetic on the thread keeps gradual underflow. OpenMP workers
 * get FTZ/DAZ by inheritance: Linux starts a thread with its creator's MXCSR and libgomp creates a
 * thread's team inside the first parallel region that needs it, which here always runs with the
 * bits set. The limit: a team that other code created on the same Java thread before this backend
 * first ran keeps IEEE denormals in its workers (measured: the worker's half of a two-thread sum
 * stays denormal). Without the JVM flags, or off Linux x86-64, nothing is flushed ({@code
 * OneDnnBackend.denormalsFlushed()} is false): results are IEEE-correct, possibly slower.
 */
package dev.fovea.kernels.backend.onednn;
