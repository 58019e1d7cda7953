"""Per-stage model timings: ONNX Runtime vs PyTorch eager in one run, on the tiny model and (optionally) full size.

Ratios are the figures to read: these machines are noisy, so absolute times drift between runs. The full-size
section (random weights in the release layout; SEGEARTH_BENCH_FULL=1) measures the architecture at the released
widths: it takes minutes on 2 cores and ~8 GB of RAM.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import cpu_name


def _median_time(fn, repeat: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_stages(model_dir: Path, label: str, repeat: int = 3) -> None:
    from segearth_engine.models.r1.segmenter import Segmenter

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    question = "Where could a small plane land in this scene, away from the buildings and the river?"
    onnx_seg = Segmenter.from_pretrained(model_dir, backend="onnx", device="auto")
    torch_seg = Segmenter.from_pretrained(model_dir, backend="torch", device="cpu")
    rows = []
    for name, seg in (("onnx", onnx_seg), ("torch eager", torch_seg)):
        encoded = seg.encode(image)
        enc = _median_time(lambda s=seg: s.encode(image), repeat)
        llm = _median_time(lambda s=seg, e=encoded: s.pooled_description(e, question), repeat)
        seg_t = _median_time(lambda s=seg, e=encoded: s.segment(e, question), repeat)
        rows.append((name, enc, llm, seg_t - llm, enc + seg_t, seg_t))
    print(f"{label}: 1000x700 image, {cpu_name()}, {os.cpu_count()} logical cores; device: {onnx_seg.device}")
    print(f"{'backend':<12} {'encoder s':>10} {'LLM s':>8} {'decoder s':>10} {'cold s':>8} {'warm s':>8}")
    for name, enc, llm, dec, cold, warm in rows:
        print(f"{name:<12} {enc:>10.3f} {llm:>8.3f} {dec:>10.3f} {cold:>8.3f} {warm:>8.3f}")
    (o, t) = rows
    print(f"ratio eager/onnx: encoder {t[1] / o[1]:.2f}x, decoder {t[3] / max(o[3], 1e-9):.2f}x, "
          f"cold {t[4] / o[4]:.2f}x, warm {t[5] / o[5]:.2f}x")
    print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        bench_stages(make_tiny_model(Path(tmp) / "tiny", seed=0), "tiny model (random weights)")
    if os.environ.get("SEGEARTH_BENCH_FULL") == "1":
        from segearth_engine.models.r1.config import SegEarthConfig

        from .common import FULL_MODEL

        folder = FULL_MODEL  # generated once, git-ignored, shared with the CPU section
        if not (folder / "model.safetensors").is_file():
            start = time.perf_counter()
            make_tiny_model(folder, seed=0, cfg=SegEarthConfig(), overwrite=True)
            print(f"full-size random model written to {folder} in {time.perf_counter() - start:.0f} s")
        bench_stages(folder, "full-size architecture (random weights)", repeat=1)
    else:
        print("full-size section skipped (set SEGEARTH_BENCH_FULL=1; needs ~8 GB RAM and several minutes)")


if __name__ == "__main__":
    main()
