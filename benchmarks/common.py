"""What the benchmark sections share: the full-size random model, and one configuration per subprocess.

Each configuration runs in a process of its own so that its peak memory (RSS or GPU) is its own; the worker writes
its figures to OUT.json and its warm logits to OUT.npy, which the section compares across configurations.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FULL_MODEL = ROOT / "models" / "full-random-seed0"


def cpu_name() -> str:
    """The CPU's model name, printed beside every CPU figure."""
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def full_model() -> Path:
    """The full-size architecture with random weights in the release layout (SEGEARTH_BENCH_MODEL overrides, e.g.
    with the real checkpoint); written once into models/ (~3.2 GB) and reused."""
    folder = Path(os.environ.get("SEGEARTH_BENCH_MODEL") or FULL_MODEL)
    if not (folder / "model.safetensors").is_file() and not (folder / "model.safetensors.index.json").is_file():
        from segearth_engine.models.r1.config import SegEarthConfig
        from segearth_engine.tiny_models.r1 import make_tiny_model

        start = time.perf_counter()
        make_tiny_model(folder, seed=0, cfg=SegEarthConfig(), overwrite=True)
        print(f"full-size random model written to {folder} in {time.perf_counter() - start:.0f} s (kept for reuse)")
    return folder


def run_worker(module: str, config: str, model_dir: Path, out: Path, *extra: str) -> dict | None:
    """`python -m MODULE --worker CONFIG MODEL_DIR OUT [EXTRA...]` -> its figures with "logits", or None (and why)."""
    cmd = [sys.executable, "-m", module, "--worker", config, str(model_dir), str(out), *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        print(f"  {config}: not run ({' | '.join(tail)})")
        return None
    figures = json.loads(out.read_text(encoding="utf-8"))
    figures["logits"] = np.load(out.with_suffix(".npy"))
    return figures


def logits_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of the masks two logit maps give (logit > 0); 1.0 when both are empty."""
    a, b = a > 0, b > 0
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def tiny_then_full(section, full_section: str, cost: str) -> None:
    """`section(model_dir, label)` on the tiny model (always), then on the full-size architecture when
    SEGEARTH_BENCH_FULL=1, else a line saying how to get that `full_section` and what it `cost`s."""
    import tempfile

    from segearth_engine.tiny_models.r1 import make_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        section(make_tiny_model(Path(tmp) / "tiny", seed=0), "tiny model (random weights)")
    if os.environ.get("SEGEARTH_BENCH_FULL") != "1":
        print(f"full-size {full_section} section skipped (set SEGEARTH_BENCH_FULL=1; {cost})")
        return
    folder = full_model()
    section(folder, f"full-size architecture ({folder.name})")
