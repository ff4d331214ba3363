/**
 * The backend-neutral step compiler: what a compiled training or evaluation step does, decided once
 * from a {@link dev.fovea.kernels.NetworkGraph}, apart from the device that runs it.
 *
 * <p>{@link dev.fovea.kernels.compile.CompiledStep} plans the step: the consumers of every node,
 * which ReLUs fuse into their producer or run in place ({@link dev.fovea.kernels.compile.StepPlan}),
 * the forward order, the loss of each head, the backward order and how the gradients of a node
 * that feeds several meet (the first contribution in the node's layout is written straight into
 * its gradient buffer, later ones are added); value lifetimes and buffer reuse (a free list by
 * size over memory the device allocates, {@link dev.fovea.kernels.compile.MemoryPlan}); the
 * program of tagged actions with its profile ({@link dev.fovea.kernels.compile.Program}); the
 * host-fallback boundary (nodes the device does not lower run their own forward and backward on
 * the host, {@link dev.fovea.kernels.compile.HostOps}); resident parameters, gradients and
 * optimizer state for a round (weights a device kernel wants in another layout are held in it,
 * converted in at load and out at store); and the cache of compiled steps with its set of graphs
 * that cannot compile ({@link dev.fovea.kernels.compile.StepCache}). Inside, {@code CompiledStep}
 * is what a lowering plans with; the package-private {@code StepBuilder} walks the graph into the
 * program, {@code StepRun} runs it with a step's arguments and {@code ResidentState} holds what a
 * resident step keeps between steps.
 *
 * <p>A device supplies only memory ({@link dev.fovea.kernels.compile.DeviceMemory}), layouts and
 * their conversion, the lowering of each graph op forward and backward, its fusion rules and its
 * update kernel ({@link dev.fovea.kernels.compile.StepLowering}). Depends on {@code
 * dev.fovea.kernels} and {@code dev.fovea.optim} only; backends depend on it, never the reverse.
 */
package dev.fovea.kernels.compile;
