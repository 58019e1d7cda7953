"""CPU section of `make bench`: our CPU path (ONNX Runtime + LLM in fp32/bf16/int8) against the upstream regime.

The upstream regime is a plain fp32 eager PyTorch run of our own modules with Swin run twice per question and no
encoder cache (what upstream does). Every configuration runs in its own subprocess, so its peak RSS (ru_maxrss) is
its own; the ONNX graphs are exported beforehand in another subprocess, so no configuration pays for the export.
Inputs: a 1000x700 image and a question padded so that the whole LLM input is ~160 tokens. Fidelity is measured
against the upstream-regime logits (same weights, same inputs): max abs logit diff and mask IoU.

The tiny model always runs (seconds). The full-size section (random weights in the release layout, ~3.2 GB on disk,
generated once into models/ and reused) runs with SEGEARTH_BENCH_FULL=1: ~10 minutes on 2 cores, ~8 GB RAM at peak.
SEGEARTH_BENCH_MODEL=DIR points it at another model folder (e.g. the real checkpoint).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import ROOT, logits_iou, run_worker, tiny_then_full

TARGET_TOKENS = 160
BASE_QUESTION = "Where could a small plane land?"
FILLER = " Look at the open fields."
# name -> (backend, llm_precision, low_memory)
CONFIGS = {
    "upstream regime (fp32 eager, Swin x2)": ("torch", "fp32", False),
    "ONNX RT + LLM fp32": ("onnx", "fp32", False),
    "ONNX RT + LLM bf16": ("onnx", "bf16", False),
    "ONNX RT + LLM int8": ("onnx", "int8", False),
    "ONNX RT + LLM auto, low memory": ("onnx", "auto", True),
}
UPSTREAM = next(iter(CONFIGS))


def _image() -> np.ndarray:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    image[200:420, 300:700] = (190, 170, 60)  # structure, so features are not pure noise
    image[450:600, 100:900] = (40, 90, 160)
    return image


def _question(seg) -> tuple[str, int]:
    """The base question padded with filler sentences while prompt + 64 image tokens + question stay <= TARGET_TOKENS.

    The test models' tokenizer (trained on a tiny corpus) splits the fixed prompt into more tokens than Phi-1.5's
    does, so the LLM input can exceed the target even with the short base question; the table prints the count.
    """
    from segearth_engine.models.r1.prompt import refer_ids

    fixed = len(seg._prompt("reasoning")) - 1 + seg.cfg.num_visual_tokens  # <refer> replaced by the question
    question = BASE_QUESTION
    while True:
        total = fixed + len(refer_ids(seg.tokenizer, question + FILLER, seg.cfg.seg_token_id))
        if total > TARGET_TOKENS:
            return question, fixed + len(refer_ids(seg.tokenizer, question, seg.cfg.seg_token_id))
        question += FILLER


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def worker(config: str, model_dir: Path, out: Path) -> None:
    """One configuration in this process: load, cold question, warm question; figures to out.json, logits to .npy."""
    import torch

    from segearth_engine.models.r1.preprocess import prepare_image
    from segearth_engine.models.r1.segmenter import Segmenter

    backend, precision, low_memory = CONFIGS[config]
    seg, load_s = _timed(lambda: Segmenter.from_pretrained(model_dir, backend=backend, device="cpu",
                                                           llm_precision=precision, low_memory=low_memory))
    rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    image = _image()
    question, tokens = _question(seg)
    encoded, encode_s = _timed(lambda: seg.encode(image))
    if backend == "torch":  # upstream runs Swin a second time per question with identical results
        pixels = torch.from_numpy(prepare_image(image, seg.cfg.image_size)[0])
        with torch.inference_mode():
            _, extra = _timed(lambda: seg.model.vision_tower(pixels))
        encode_s += extra
    cold = seg.segment(encoded, question)
    warm, warm_s = _timed(lambda: seg.segment(encoded, question))
    if backend == "torch":  # upstream has no encoder cache: every question pays the encoder again
        warm_s += encode_s
    figures = {
        "device": seg.device, "tokens": tokens, "load_s": load_s, "rss_load_kb": rss_load,
        "encoder_s": encode_s, "llm_cold_s": cold.timings["llm"], "decoder_cold_s": cold.timings["decoder"],
        "llm_s": warm.timings["llm"], "decoder_s": warm.timings["decoder"],
        "cold_s": encode_s + cold.timings["llm"] + cold.timings["decoder"], "warm_s": warm_s,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    np.save(out.with_suffix(".npy"), warm.logits.astype(np.float32))
    out.write_text(json.dumps(figures), encoding="utf-8")


def _export(model_dir: Path) -> None:
    """Export the ONNX graphs once, in a subprocess of its own, before any timed configuration."""
    # The prepared LLMs are stored beside the graphs too, so that no timed load pays for preparing them.
    code = ("import sys; from pathlib import Path; from segearth_engine.models.r1.segmenter import Segmenter; "
            "from segearth_engine.models.r1.prepared_llm import load_llm; "
            "from segearth_engine.runtime.llm_precision import supported; "
            "folder = Segmenter._open_graphs(Path(sys.argv[1]), 'cpu', None)[2]; "
            "[load_llm(Path(sys.argv[1]), p, 'cpu', store=folder) for p in ('int8', 'bf16') if not supported(p)]; "
            "print(folder)")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(model_dir)], cwd=ROOT, check=True, stdout=subprocess.PIPE,
                          text=True)
    folder = Path(proc.stdout.strip().splitlines()[-1])
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in sorted(folder.glob("*.onnx")))
    print(f"  ONNX graphs and prepared LLMs ready in {time.perf_counter() - start:.0f} s (made once, stored beside the "
          f"model; {sizes})")


def _cpu_description() -> str:
    from segearth_engine.runtime.llm_precision import cpu_flags, int8_engine, native_bf16
    from segearth_engine.runtime.onnx_runtime import physical_cores

    from .common import cpu_name

    bf16 = native_bf16()
    return (f"{cpu_name()}, {physical_cores()} physical cores ({os.cpu_count()} logical); native bf16: "
            f"{bf16 or 'no'}; int8 engine: {int8_engine() or 'none'}; VNNI: {'avx512_vnni' in cpu_flags()}")


def bench_model_dir(model_dir: Path, label: str) -> None:
    from segearth_engine.runtime.llm_precision import FIDELITY_BOUNDS, supported

    print(f"{label}: 1000x700 image, ~{TARGET_TOKENS}-token prompt; {_cpu_description()}")
    _export(model_dir)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (config, (_, precision, _)) in enumerate(CONFIGS.items()):
            why_not = supported(precision) if precision != "auto" else None
            if why_not:
                print(f"  {config}: skipped, {why_not}")
                continue
            figures = run_worker("benchmarks.bench_cpu", config, model_dir, Path(tmp) / f"{index}.json")
            if figures:
                results[config] = figures
    if UPSTREAM not in results:
        print("  the upstream-regime run failed: no ratios")
        return
    base = results[UPSTREAM]
    print(f"  prompt: {base['tokens']} tokens; stage times of the warm question; upstream 'warm' = cold (no cache)")
    head = (f"  {'configuration':<38} {'load s':>7} {'peak RSS GB':>11} {'cold s':>7} {'warm s':>7} {'encoder':>8} "
            f"{'LLM':>6} {'decoder':>8} {'cold x':>7} {'warm x':>7} {'RSS x':>6} {'max|dlogit|':>11} {'IoU':>7}")
    print(head)
    for config, r in results.items():
        iou = logits_iou(r["logits"], base["logits"])
        diff = float(np.abs(r["logits"] - base["logits"]).max())
        r["iou"] = iou
        print(f"  {config:<38} {r['load_s']:>7.1f} {r['peak_rss_kb'] / 1e6:>11.2f} {r['cold_s']:>7.2f} "
              f"{r['warm_s']:>7.2f} {r['encoder_s']:>8.2f} {r['llm_s']:>6.2f} {r['decoder_s']:>8.2f} "
              f"{r['cold_s'] / base['cold_s']:>7.3f} {r['warm_s'] / base['warm_s']:>7.3f} "
              f"{r['peak_rss_kb'] / base['peak_rss_kb']:>6.3f} {diff:>11.4f} {iou:>7.4f}")
    print("  ratios are ours / upstream regime; targets: cold <= 0.333, warm <= 0.125, RSS <= 0.5")
    for config, r in results.items():
        precision = CONFIGS[config][1]
        bound = FIDELITY_BOUNDS.get(precision)
        verdict = "" if bound is None else f", IoU bound {bound}: {'met' if r['iou'] >= bound else 'MISSED'}"
        print(f"  {config}: device = {r['device']}{verdict}")


def main() -> None:
    tiny_then_full(bench_model_dir, "CPU", "~10 min on 2 cores, ~8 GB RAM at peak")

if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
