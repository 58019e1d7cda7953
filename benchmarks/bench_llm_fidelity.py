"""LLM precision fidelity and speed over several questions: each CPU variant of the LLM against the fp32 LLM.

bench_cpu measures one question; one question can pass or miss a bound by chance. Here one image is encoded once
(ONNX Runtime) and every question of both tasks is answered with each variant and with fp32, through the same decoder,
so the only difference is the LLM's arithmetic. Variants: the engine's precisions offered on this CPU (int8 dynamic,
bf16 where native) and the candidates it does not ship (benchmarks/llm_candidates.py: int8 weights with fp32
activations, per output channel or per block of inputs; the whole-matrix widening used before). Printed per question:
the relative error of the pooled [SEG] description and the mask IoU; per variant: the minimum IoU against the bound
(llm_precision.FIDELITY_BOUNDS; 0.99 for a candidate), the prompt prefix's time (text before the image included), the
mean time of a question's own LLM pass, and the bytes of its linear weights. A calibration column answers "how
sensitive is this model's mask?": the IoU after moving the fp32 description by a random vector of the same relative
size. On random weights the masks are far more sensitive than on a trained model, so a miss here is a question to
settle on the real checkpoint (SEGEARTH_BENCH_MODEL=DIR), not a verdict on it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .bench_cpu import _image
from .common import logits_iou, tiny_then_full

QUESTIONS = [
    ("Where could a small plane land?", "reasoning"),
    ("segment the flooded fields near the river", "reasoning"),
    ("where is the airport runway", "reasoning"),
    ("the yellow field", "referring"),
    ("buildings", "referring"),
    ("the large white building on the left", "referring"),
]
CANDIDATE_BOUND = 0.99


def _timed_answers(seg, encoded) -> tuple[list, float, float]:
    """(pooled descriptions of QUESTIONS, seconds of the reasoning prefix from scratch, mean seconds of a question's
    own LLM pass)."""
    seg._heads.clear()
    encoded.llm_prefix.clear()
    start = time.perf_counter()
    seg.prepare_question(encoded, "reasoning")
    prefix = time.perf_counter() - start
    seg.prepare_question(encoded, "referring")
    start = time.perf_counter()
    pooled = [seg.pooled_description(encoded, q, t) for q, t in QUESTIONS]
    return pooled, prefix, (time.perf_counter() - start) / len(QUESTIONS)


def _variants(seg):
    """(name, bound, prepare) for each variant: prepare() sets `seg` up for it and returns its weights' bytes."""
    from segearth_engine.models.r1.prepared_llm import load_llm
    from segearth_engine.runtime.llm_precision import FIDELITY_BOUNDS, LABELS, supported

    from .llm_candidates import CANDIDATES, swap_linears

    fp32 = seg.model

    def engine(precision):
        def prepare():
            seg.model, seg.llm_precision = None, precision
            seg.model = load_llm(seg.model_dir, precision, "cpu", store=seg._graph_dir)
            return _linear_bytes(seg.model.llm)
        return prepare

    def candidate(make):
        def prepare():
            seg.model, seg.llm_precision = fp32, "fp32"
            return swap_linears(fp32.llm, make)
        return prepare

    out = [(LABELS[p], FIDELITY_BOUNDS[p], engine(p)) for p in ("int8", "bf16") if supported(p) is None]
    return out + [(name, CANDIDATE_BOUND, candidate(make)) for name, make in CANDIDATES.items()]


def _linear_bytes(llm) -> int:
    import torch

    from segearth_engine.runtime.int8_linear import int8_parts

    total = 0
    for module in llm.layers.modules():
        parts = int8_parts(module)
        if parts is not None:
            total += parts[0].nbytes
        elif isinstance(getattr(module, "weight", None), torch.Tensor) and hasattr(module, "in_features"):
            total += module.weight.nbytes
    return total


def measure(model_dir: Path) -> list[tuple[str, float, float, float, int, list[tuple[float, float, float]]]]:
    """Per variant: (name, bound, prefix s, question s, linear weight bytes, per question (relative description
    error, mask IoU vs fp32, IoU after a random move of the same size)); the fp32 reference first."""
    import torch

    from segearth_engine.models.r1.segmenter import Segmenter

    from .llm_candidates import swap_linears

    seg = Segmenter.from_pretrained(model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    fp32 = seg.model
    encoded = seg.encode(_image())
    reference, prefix, question = _timed_answers(seg, encoded)
    masks = [seg._decode(encoded, p, 0.0).logits for p in reference]
    out = [("fp32 (reference)", 0.999, prefix, question, _linear_bytes(fp32.llm),
            [(0.0, 1.0, 1.0)] * len(QUESTIONS))]
    generator = torch.Generator().manual_seed(0)
    for name, bound, prepare in _variants(seg):
        nbytes = prepare()
        pooled, prefix, question = _timed_answers(seg, encoded)
        rows = []
        for p, ref, mask in zip(pooled, reference, masks, strict=True):
            rel = float((p - ref).norm() / ref.norm())
            move = torch.randn(ref.shape, generator=generator)
            moved = ref + move / move.norm() * ref.norm() * rel
            rows.append((rel, logits_iou(seg._decode(encoded, p, 0.0).logits, mask),
                         logits_iou(seg._decode(encoded, moved, 0.0).logits, mask)))
        out.append((name, bound, prefix, question, nbytes, rows))
        swap_linears(fp32.llm, None)
    return out


def report(model_dir: Path, label: str) -> None:
    print(f"{label}: LLM variants against the fp32 LLM, {len(QUESTIONS)} questions, one 1000x700 image")
    results = measure(model_dir)
    print(f"  {'variant':<48} {'min IoU':>7} {'bound':>6} {'verdict':>7} {'prefix s':>8} {'question s':>10} "
          f"{'weights GB':>10} {'max rel. err':>12}")
    for name, bound, prefix, question, nbytes, rows in results:
        worst = min(iou for _, iou, _ in rows)
        shown = f"{prefix:.2f}" if prefix > 1e-3 else "-"  # int8 dynamic runs the whole prompt with each question
        print(f"  {name:<48} {worst:>7.4f} {bound:>6} {'met' if worst >= bound else 'MISSED':>7} {shown:>8} "
              f"{question:>10.3f} {nbytes / 1e9:>10.2f} {max(rel for rel, _, _ in rows):>12.4f}")
    print("  prefix: the reasoning prompt before the question, from scratch (system text included); question: a "
          "question's own LLM pass after it (mean of the six); weights: the LLM's linear layers as held")
    for name, _, _, _, _, rows in results[1:]:
        print(f"  {name}: {'question':<44} {'task':<10} {'rel. error':>10} {'IoU':>7} {'random move IoU':>16}")
        for (question, task), (rel, iou, moved) in zip(QUESTIONS, rows, strict=True):
            print(f"  {'':<{len(name) + 1}} {question:<44} {task:<10} {rel:>10.4f} {iou:>7.4f} {moved:>16.4f}")


def main() -> None:
    tiny_then_full(report, "LLM fidelity", "~10 min, ~9 GB RAM at peak")

if __name__ == "__main__":
    sys.exit(main())
