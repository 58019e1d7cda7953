"""What the benchmark sections share: the full-size random model, and one configuration per subprocess.

Each configuration runs in a process of its own so that its peak memory (RSS or GPU) is its own; the worker writes
its figures to OUT.json and its warm logits to OUT.npy, which the section compares across configurations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FULL_MODEL = ROOT / "models" / "full-random-seed0"


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
