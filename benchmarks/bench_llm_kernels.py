"""The LLM's linear layer on the CPU, kernel by kernel, at Phi-1.5's shapes: fp32 activations, weights as stored.

Why: a question's own pass (~10 rows) is bound by reading the weights, the prompt prefix (~100+ rows) by arithmetic.
Kernels: fp32 weights held in memory (the bound without any conversion, at twice the bytes of bf16), the engine's bf16
weights widened whole per call (before issue 24) and in cache-sized tiles (runtime/widened_linear.py), torch's int8
weight-only kernel (aten._weight_int8pack_mm, per output channel), ONNX Runtime's MatMulNBits (8 bits and, for
reference, 4 bits; blocks of 32 inputs; accuracy level 0: fp32 activations) and fbgemm's fp16-weight GEMM (exact for
bf16 weights, but its packing, which cannot be stored, is timed too). Printed: milliseconds per call (best of several)
and the output's relative error against fp32. Whether a variant keeps the masks is bench_llm_fidelity's question.
"""

from __future__ import annotations

import sys
import time

SHAPES = ((2048, 2048, "q/k/v/dense (x4 per layer)"), (8192, 2048, "fc1"), (2048, 8192, "fc2"))
ROWS = (10, 120)


def _best_ms(fn, seconds: float = 0.4) -> float:
    fn()
    best, spent = float("inf"), 0.0
    while spent < seconds:
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
    return best * 1e3


def _ort_nbits(weight, bits: int, block: int):
    """An ORT session of one MatMulNBits node holding `weight` [out, in] quantised symmetrically by ORT itself."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits, quantize_matmul_8bits

    n, k = weight.shape
    blocks = k // block
    packed = np.zeros((n, blocks, block * bits // 8), np.uint8)
    scales = np.zeros((n, blocks), np.float32)
    zero_points = np.zeros((n, (blocks * bits + 7) // 8), np.uint8)
    quantise = quantize_matmul_8bits if bits == 8 else quantize_matmul_4bits
    quantise(packed, np.ascontiguousarray(weight.float().numpy().T), scales, zero_points, block, n, k, True)
    node = helper.make_node("MatMulNBits", ["A", "B", "S"], ["Y"], domain="com.microsoft", K=k, N=n, bits=bits,
                            block_size=block, accuracy_level=0)
    graph = helper.make_graph([node], "nbits", [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", k])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["M", n])],
                              [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales.ravel(), "S")])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda x: torch.from_numpy(session.run(None, {"A": x.numpy()})[0])


def _kernels(weight):
    """name -> f(x [rows, in]) -> [rows, out] for one bf16 `weight`, and fbgemm's packing time in ns per weight."""
    import torch
    import torch.nn.functional as F

    from segearth_engine.runtime.widened_linear import WidenedLinear

    from .llm_candidates import Int8PerChannel, WholeWidened

    tiles = WidenedLinear(weight, None)
    held = weight.float()
    start = time.perf_counter()
    fp16 = torch.ops.quantized.linear_prepack_fp16(held, None)
    pack_ns = (time.perf_counter() - start) / weight.numel() * 1e9
    kernels = {"fp32 held": lambda x: F.linear(x, held), "bf16 widened whole": WholeWidened(tiles),
               "bf16 tiles (engine)": tiles, "int8 torch per channel": Int8PerChannel(tiles),
               "fbgemm fp16": lambda x: torch.ops.quantized.linear_dynamic_fp16(x, fp16)}
    for bits in (8, 4):
        kernels[f"ORT {bits}-bit b32"] = _ort_nbits(weight, bits, 32)
    return kernels, pack_ns


def report() -> None:
    """No model needed: Phi-1.5's shapes with random bf16 weights (~20 s)."""
    import torch

    from .bench_cpu import _cpu_description

    print(f"LLM linear kernels at Phi-1.5's shapes, {torch.get_num_threads()} threads; {_cpu_description()}")
    generator = torch.Generator().manual_seed(0)
    for out_features, in_features, what in SHAPES:
        weight = (torch.randn(out_features, in_features, generator=generator) * 0.02).bfloat16()
        kernels, pack_ns = _kernels(weight)
        print(f"  {out_features}x{in_features} ({what}); fbgemm fp16 packing {pack_ns:.1f} ns per weight (at load)")
        print(f"    {'rows':>4} " + " ".join(f"{name:>22}" for name in kernels))
        with torch.inference_mode():
            for rows in ROWS:
                x = torch.randn(rows, in_features, generator=generator)
                reference = torch.nn.functional.linear(x, weight.float())
                cells = []
                for kernel in kernels.values():
                    error = float((kernel(x) - reference).norm() / reference.norm())
                    cells.append(f"{_best_ms(lambda k=kernel, x=x: k(x)):>9.2f} ms {error:>7.1e}")
                print(f"    {rows:>4} " + " ".join(f"{cell:>22}" for cell in cells))
    print("  ms per call (best of several), then the relative error of the output against fp32")


def main() -> None:
    report()

if __name__ == "__main__":
    sys.exit(main())
