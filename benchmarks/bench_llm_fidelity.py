"""LLM precision fidelity over several questions: mask IoU of each CPU precision against the fp32 LLM.

bench_cpu measures one question; one question can pass or miss a bound by chance. Here one image is encoded once
(ONNX Runtime) and every question of both tasks is answered with each supported LLM precision and with fp32, through
the same decoder, so the only difference is the LLM's arithmetic. Printed per question: the relative error of the
pooled [SEG] description and the mask IoU; per precision: the minimum IoU against its bound
(llm_precision.FIDELITY_BOUNDS). A calibration column answers "how sensitive is this model's mask?": the IoU after
moving the fp32 description by a random vector of the same relative size. On random weights the masks are far more
sensitive than on a trained model, so a miss here is a question to settle on the real checkpoint
(SEGEARTH_BENCH_MODEL=DIR), not a verdict on it.
"""

from __future__ import annotations

import sys
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


def measure(model_dir: Path) -> dict[str, list[tuple[float, float, float]]]:
    """precision -> per question (relative description error, mask IoU vs fp32, IoU after a random move of the
    same size)."""
    import torch

    from segearth_engine.models.r1.prepared_llm import load_llm
    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_engine.runtime.llm_precision import supported

    seg = Segmenter.from_pretrained(model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    encoded = seg.encode(_image())
    reference = [seg.pooled_description(encoded, q, t) for q, t in QUESTIONS]
    masks = [seg._decode(encoded, p, 0.0).logits for p in reference]
    generator = torch.Generator().manual_seed(0)
    out: dict[str, list[tuple[float, float, float]]] = {}
    for precision in ("int8", "bf16"):
        if supported(precision) is not None:
            continue
        seg.model, seg.llm_precision = None, precision
        seg.model = load_llm(seg.model_dir, precision, "cpu", store=seg._graph_dir)
        rows = []
        for (question, task), ref, mask in zip(QUESTIONS, reference, masks, strict=True):
            pooled = seg.pooled_description(encoded, question, task)
            rel = float((pooled - ref).norm() / ref.norm())
            move = torch.randn(ref.shape, generator=generator)
            moved = ref + move / move.norm() * ref.norm() * rel
            rows.append((rel, logits_iou(seg._decode(encoded, pooled, 0.0).logits, mask),
                         logits_iou(seg._decode(encoded, moved, 0.0).logits, mask)))
        out[precision] = rows
    return out


def report(model_dir: Path, label: str) -> None:
    from segearth_engine.runtime.llm_precision import FIDELITY_BOUNDS

    print(f"{label}: LLM precision against the fp32 LLM, {len(QUESTIONS)} questions, one 1000x700 image")
    results = measure(model_dir)
    if not results:
        print("  no reduced precision runs well on this CPU: nothing to compare")
    for precision, rows in results.items():
        print(f"  {precision}: {'question':<44} {'task':<10} {'rel. error':>10} {'IoU':>7} {'random move IoU':>16}")
        for (question, task), (rel, iou, moved) in zip(QUESTIONS, rows, strict=True):
            print(f"  {'':<{len(precision) + 1}} {question:<44} {task:<10} {rel:>10.4f} {iou:>7.4f} {moved:>16.4f}")
        worst = min(iou for _, iou, _ in rows)
        bound = FIDELITY_BOUNDS[precision]
        print(f"  {precision}: minimum IoU {worst:.4f}, bound {bound}: {'met' if worst >= bound else 'MISSED'}")


def main() -> None:
    tiny_then_full(report, "LLM fidelity", "~3 min, ~9 GB RAM at peak")

if __name__ == "__main__":
    sys.exit(main())
