package dev.fovea.kernels.backend.onednn;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;

/** The CPU engine and the in-order stream one backend plans and runs its primitives on. */
record OneDnnContext(dnnl_engine engine, dnnl_stream stream) {}
