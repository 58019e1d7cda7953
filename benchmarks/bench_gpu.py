"""GPU section of `make bench`: our CUDA path against a PyTorch eager fp32 run of our own modules, in the same run.

Full-size architecture (random weights in the release layout, the folder bench_cpu makes and reuses; or
SEGEARTH_BENCH_MODEL=DIR), a 1024x1024 view and a ~160-token prompt:
- cold = encoder + LLM + decoder on a new image; warm = LLM + decoder on a cached encoding; each stage; the ratio
  eager fp32 / ours; mask IoU against eager fp32;
- peak GPU memory of the process above its CUDA context (driver's count, so ONNX Runtime's arena and torch's cache
  are both in it), sampled every 2 ms and after the run;
- tiled mode: tiles/s and s/km² at 0.5 m and at 10 m ground resolution (a 4x4-tile raster at each resolution,
  native pixels; automatic batch size; no feature cache).
Each configuration runs in its own subprocess, so its GPU memory is its own. Targets (H100): cold <= 80 ms, warm <=
30 ms, >= 8x faster than eager fp32, peak GPU memory <= 5 GB. Without CUDA (onnxruntime's CUDA provider and torch's
CUDA) the section says why and is skipped. `python -m benchmarks.bench_gpu --dry-run-cpu` runs the same code on the
tiny model on the CPU (no figures worth reading: it checks the benchmark itself).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from segearth_engine.runtime.onnx_runtime import cuda_unavailable

from .common import full_model, logits_iou, run_worker

CONFIGS = {"ours (ONNX RT CUDA + LLM auto)": "onnx", "PyTorch eager fp32": "torch"}
REFERENCE = "PyTorch eager fp32"
TARGETS = {"cold_ms": 80.0, "warm_ms": 30.0, "speedup": 8.0, "peak_gb": 5.0}
TILE_GRID = 4  # tiles per side of the tiled raster
REPEAT = 10


class GpuMemoryPeak:
    """Peak device memory in use (driver's count: every allocator of every library in this process) above the
    level at start, sampled every 2 ms in a thread (arenas keep what they took, so the final sample catches most)."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.base = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _used(self) -> int:
        import torch

        free, total = torch.cuda.mem_get_info()
        return total - free

    def _poll(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._used())

    def __enter__(self) -> GpuMemoryPeak:
        if self.cuda:
            import torch

            torch.cuda.init()
            torch.zeros(1, device="cuda")  # the CUDA context exists before the base is read
            self.base = self.peak = self._used()
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.cuda:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self._used())

    @property
    def peak_bytes(self) -> int:
        return max(0, self.peak - self.base)


def _image(size: int = 1024, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    image[200:500, 300:800] = (190, 170, 60)  # structure, so features are not pure noise
    image[600:760, 100:900] = (40, 90, 160)
    return image


def _sync(cuda: bool) -> None:
    if cuda:
        import torch

        torch.cuda.synchronize()


def _median_ms(fn, cuda: bool, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        _sync(cuda)
        start = time.perf_counter()
        out = fn()
        _sync(cuda)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def _tiled_raster(path: Path, resolution: float, tile: int, overlap: int, grid: int) -> Path:
    """grid x grid tiles of texture at `resolution` m per pixel (UTM zone 33N)."""
    import rasterio
    from affine import Affine

    from segearth_engine.geo.crs import ensure_proj_data

    ensure_proj_data()
    size = grid * (tile - overlap) + overlap
    data = np.random.default_rng(1).integers(1, 255, (3, size, size), dtype=np.uint8)
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8", "crs": "EPSG:32633",
               "transform": Affine(resolution, 0, 500000, 0, -resolution, 4000000), "tiled": True,
               "blockxsize": 512, "blockysize": 512}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


def _tiled(seg, tmp: Path, cuda: bool, grid: int) -> dict:
    from segearth_engine.geo.rasterio_source import RasterioSource
    from segearth_engine.pipeline.raster import SegmentationRequest, auto_batch_size, segment_raster

    request = SegmentationRequest("all solar farms", mode="tiled")
    figures = {"batch": auto_batch_size(seg, request), "grid": grid}
    for resolution in (0.5, 10.0):
        path = _tiled_raster(tmp / f"tiles_{resolution}.tif", resolution, seg.image_size, request.overlap, grid)
        with RasterioSource(path) as src:
            segment_raster(src, seg, SegmentationRequest("warm-up", mode="tiled", max_tiles=2))
            _sync(cuda)
            start = time.perf_counter()
            result = segment_raster(src, seg, request)
            _sync(cuda)
            seconds = time.perf_counter() - start
            width_m = src.width * resolution
            height_m = src.height * resolution
        figures[f"{resolution}"] = {"tiles": result.tiles, "s": seconds, "tiles_per_s": result.tiles / seconds,
                                    "s_per_km2": seconds / (width_m * height_m / 1e6)}
    return figures


def worker(config: str, model_dir: Path, out: Path, device: str) -> None:
    """One configuration in this process; figures to out.json, the view's logits to out.npy."""
    from benchmarks.bench_cpu import _question
    from segearth_engine.models.r1.segmenter import Segmenter

    cuda = device == "cuda"
    backend = CONFIGS[config]
    with GpuMemoryPeak(cuda) as memory:
        start = time.perf_counter()
        precision = "fp32" if backend == "torch" else "auto"
        seg = Segmenter.from_pretrained(model_dir, backend=backend, device=device, llm_precision=precision)
        load_s = time.perf_counter() - start
        question, tokens = _question(seg)
        seg.segment(seg.encode(_image(seed=1)), question)  # warm-up: kernels, cuDNN algorithm search
        image = _image()
        encoder_ms, encoded = _median_ms(lambda: seg.encode(image), cuda, REPEAT)
        cold_ms, _ = _median_ms(lambda: seg.segment(seg.encode(image), question), cuda, REPEAT)
        warm_ms, warm = _median_ms(lambda: seg.segment(encoded, question), cuda, REPEAT)
        stages = [seg.segment(encoded, question).timings for _ in range(REPEAT)]
        view_peak = memory.peak_bytes
        with tempfile.TemporaryDirectory() as tmp:
            tiled = _tiled(seg, Path(tmp), cuda, TILE_GRID if cuda else 2) if backend == "onnx" else None
    figures = {
        "device": seg.device, "tokens": tokens, "load_s": load_s, "encoder_ms": encoder_ms, "cold_ms": cold_ms,
        "warm_ms": warm_ms, "llm_ms": 1000 * statistics.median(t["llm"] for t in stages),
        "decoder_ms": 1000 * statistics.median(t["decoder"] for t in stages), "peak_bytes": view_peak,
        "peak_bytes_tiled": memory.peak_bytes, "tiled": tiled,
    }
    np.save(out.with_suffix(".npy"), warm.logits.astype(np.float32))
    out.write_text(json.dumps(figures), encoding="utf-8")


def _gpu_name() -> str:
    import torch

    props = torch.cuda.get_device_properties(0)
    return f"{props.name}, {props.total_memory / 2**30:.0f} GiB"


def bench_model_dir(model_dir: Path, label: str, device: str = "cuda") -> dict:
    from benchmarks.bench_cpu import _export

    where = _gpu_name() if device == "cuda" else "CPU (dry run: figures not meaningful)"
    print(f"{label}: 1024x1024 view, ~160-token prompt; {where}")
    _export(model_dir)  # the fp32 graphs once, outside any timed configuration
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for config in CONFIGS:
            figures = run_worker("benchmarks.bench_gpu", config, model_dir, Path(tmp) / f"{CONFIGS[config]}.json",
                                 device)
            if figures:
                results[config] = figures
    ours_name = next(iter(CONFIGS))
    if ours_name not in results:
        print("  our CUDA path failed: no figures")
        return results
    print(f"  {'configuration':<32} {'cold ms':>8} {'warm ms':>8} {'encoder':>8} {'LLM':>7} {'decoder':>8} "
          f"{'peak GPU GB':>11} {'IoU':>7}")
    ref = results.get(REFERENCE)
    for config, r in results.items():
        iou = logits_iou(r["logits"], ref["logits"]) if ref else float("nan")
        peak = f"{r['peak_bytes'] / 1e9:>11.2f}" if device == "cuda" else f"{'-':>11}"
        print(f"  {config:<32} {r['cold_ms']:>8.1f} {r['warm_ms']:>8.1f} {r['encoder_ms']:>8.1f} {r['llm_ms']:>7.1f} "
              f"{r['decoder_ms']:>8.1f} {peak} {iou:>7.4f}")
    ours = results[ours_name]
    print(f"  device: {ours['device']}; prompt {ours['tokens']} tokens")
    if ref:
        print(f"  eager fp32 / ours: cold {ref['cold_ms'] / ours['cold_ms']:.1f}x, warm "
              f"{ref['warm_ms'] / ours['warm_ms']:.1f}x (target >= {TARGETS['speedup']:.0f}x)")
    print(f"  targets: cold <= {TARGETS['cold_ms']:.0f} ms, warm <= {TARGETS['warm_ms']:.0f} ms, peak GPU memory <= "
          f"{TARGETS['peak_gb']:.0f} GB (view; with tiled runs {ours['peak_bytes_tiled'] / 1e9:.2f} GB)")
    tiled = ours["tiled"]
    print(f"  tiled mode ({tiled['batch']} tiles per batch, {tiled['grid']}x{tiled['grid']} tiles, no cache):")
    for resolution in ("0.5", "10.0"):
        t = tiled[resolution]
        print(f"    {float(resolution):>4} m: {t['tiles_per_s']:.2f} tiles/s, {t['s_per_km2']:.4f} s/km² "
              f"({t['tiles']} tiles in {t['s']:.2f} s)")
    return results


def main() -> None:
    why_not = cuda_unavailable()
    if why_not:
        print(f"GPU section skipped: {why_not}")
        return
    folder = full_model()
    bench_model_dir(folder, f"full-size architecture ({folder.name})")


def dry_run_cpu() -> None:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        bench_model_dir(make_tiny_model(Path(tmp) / "tiny", seed=0), "tiny model, dry run on the CPU", "cpu")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
    elif sys.argv[1:] == ["--dry-run-cpu"]:
        dry_run_cpu()
    else:
        main()
