"""Pipeline figures: per-question stage times (cached vs not), tiles/s, peak RSS vs raster size, vectorising speed.

Uses the tiny random model (its masks are meaningless; the costs of reading, stitching and vectorising are real, the
model's are not those of the full-size model: see bench_model for that). Peak RSS is measured in a fresh
subprocess per raster size; the 20000 x 20000 raster is a sparse tiled GeoTIFF, read through the real windowed path,
with the run stopped after a few tiles (all full-width buffers and the on-disk grid are still allocated).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "rgbn.tif"
RSS_TILES = 4


def _tiny_model(folder: Path) -> Path:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    model = folder / "tiny"
    if not (model / "config.json").is_file():
        make_tiny_model(model, seed=0)
    return model


def _synthetic(path: Path, size: int) -> Path:
    """size x size RGB GeoTIFF, tiled and sparse: one 1024 block of texture, the rest never written (nodata 0)."""
    import rasterio
    from affine import Affine

    from segearth_engine.geo.crs import ensure_proj_data

    ensure_proj_data()
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8", "crs": "EPSG:32633",
               "transform": Affine(0.5, 0, 500000, 0, -0.5, 4000000), "tiled": True, "blockxsize": 512,
               "blockysize": 512, "sparse_ok": True, "nodata": 0, "BIGTIFF": "IF_SAFER"}
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", **profile) as ds:
        texture = rng.integers(1, 255, (3, 1024, 1024), dtype=np.uint8)
        ds.write(texture, window=rasterio.windows.Window(0, 0, 1024, 1024))
    return path


def _rss_child(raster: str, model: str) -> None:
    """Runs in a subprocess: one tiled run, then prints peak RSS (MiB) as JSON."""
    import resource

    from segearth_engine.geo.rasterio_source import RasterioSource
    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster

    seg = Segmenter.from_pretrained(model, backend="onnx", device="cpu")
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with RasterioSource(raster) as src:
        result = segment_raster(src, seg, SegmentationRequest("fields", mode="tiled", max_tiles=RSS_TILES))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mib": peak, "after_load_mib": loaded, "tiles": result.tiles,
                      "tiles_total": result.tiles_total, "seconds": time.perf_counter() - start}))


def bench_questions(model: Path) -> None:
    from segearth_engine.geo.rasterio_source import RasterioSource
    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster
    from segearth_engine.runtime.feature_cache import FeatureCache

    seg = Segmenter.from_pretrained(model, backend="onnx", device="auto")
    cache = FeatureCache(max_mb=512)
    rows = []
    with RasterioSource(SAMPLE) as src:
        segment_raster(src, seg, SegmentationRequest("warm-up"))  # first-call costs out of the figures
        for label, question in (("uncached", "Where could a small plane land?"), ("cached", "the river")):
            start = time.perf_counter()
            result = segment_raster(src, seg, SegmentationRequest(question), cache=cache)
            rows.append((label, time.perf_counter() - start, result.timings, result.encoder_calls))
    print(f"view mode on {SAMPLE.name} (515x403 -> 1024), tiny model, {seg.device}")
    print(f"{'question':<10} {'total s':>8} {'read s':>7} {'encoder s':>10} {'LLM s':>7} {'decoder s':>10} "
          f"{'vector s':>9} {'enc calls':>9}")
    for label, total, t, calls in rows:
        print(f"{label:<10} {total:>8.3f} {t['read']:>7.3f} {t['encoder']:>10.3f} {t['llm']:>7.3f} "
              f"{t['decoder']:>10.3f} {t['vectorise']:>9.3f} {calls:>9}")
    print(f"cached / uncached total: {rows[1][1] / rows[0][1]:.2f}")


def bench_tiles(model: Path, folder: Path) -> None:
    from segearth_engine.geo.rasterio_source import RasterioSource
    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster

    seg = Segmenter.from_pretrained(model, backend="onnx", device="auto")
    path = folder / "tiles.tif"
    from tests.engine.geo.rasters import write_tif

    write_tif(path, np.random.default_rng(0).integers(0, 255, (3, 1800, 2600), dtype=np.uint8))
    with RasterioSource(path) as src:
        start = time.perf_counter()
        result = segment_raster(src, seg, SegmentationRequest("fields", mode="tiled"))
        elapsed = time.perf_counter() - start
    t = result.timings
    print(f"tiled mode 2600x1800 px, {result.tiles} tiles (overlap 128): {result.tiles / elapsed:.2f} tiles/s; "
          f"per tile: read {t['read'] / result.tiles:.3f} s, encoder {t['encoder'] / result.tiles:.3f} s, "
          f"LLM {t['llm'] / result.tiles:.3f} s, decoder {t['decoder'] / result.tiles:.3f} s; "
          f"vectorise {t['vectorise']:.3f} s")


def bench_rss(model: Path, folder: Path) -> None:
    rows = []
    for size in (2000, 20000):
        raster = _synthetic(folder / f"rss{size}.tif", size)
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_pipeline", "--rss-child", str(raster),
                              str(model)], capture_output=True, text=True, cwd=ROOT, check=True)
        rows.append((size, json.loads(out.stdout.strip().splitlines()[-1])))
    print(f"peak RSS, tiled mode, first {RSS_TILES} tiles (fresh process each; model loaded first)")
    print(f"{'raster px':>12} {'tiles':>12} {'after load MiB':>15} {'peak MiB':>9} {'run s':>6}")
    for size, r in rows:
        print(f"{size:>6}x{size:<5} {r['tiles']:>5}/{r['tiles_total']:<6} {r['after_load_mib']:>15.0f} "
              f"{r['peak_mib']:>9.0f} {r['seconds']:>6.1f}")
    (_, small), (_, big) = rows
    print(f"peak RSS 20000^2 / 2000^2: {big['peak_mib'] / small['peak_mib']:.2f} "
          f"(100x the pixels); growth over load: {big['peak_mib'] - big['after_load_mib']:.0f} vs "
          f"{small['peak_mib'] - small['after_load_mib']:.0f} MiB")


def bench_vectorise() -> None:
    from affine import Affine
    from scipy import ndimage

    from segearth_engine.geo.store import DiskStore, MemoryStore
    from segearth_engine.geo.vectorize import vectorise

    size = 4096
    rng = np.random.default_rng(0)
    logits = ndimage.gaussian_filter(rng.normal(size=(size, size)).astype(np.float32), 3) * 40 - 0.5
    valid = np.ones((size, size), bool)
    rows = []
    for name, store in (("memory", MemoryStore(size, size, Affine(1, 0, 0, 0, -1, 0))),
                        ("disk", DiskStore(size, size, Affine(1, 0, 0, 0, -1, 0), "EPSG:32633"))):
        try:
            store.write_rows(0, logits, valid)
            start = time.perf_counter()
            features = vectorise(store, "EPSG:32633", {"question": "q"})
            rows.append((name, len(features), time.perf_counter() - start))
        finally:
            store.close()
    mp = size * size / 1e6
    for name, count, seconds in rows:
        print(f"vectorise {size}x{size} mask, {count} polygons, {name} store: {seconds:.2f} s = "
              f"{mp / seconds:.1f} MP/s")
    print(f"disk / memory store time: {rows[1][2] / rows[0][2]:.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="segearth-bench-") as tmp:
        folder = Path(tmp)
        model = Path(os.environ.get("SEGEARTH_TINY_MODEL") or _tiny_model(folder))
        bench_questions(model)
        bench_tiles(model, folder)
        bench_rss(model, folder)
        bench_vectorise()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--rss-child":
        _rss_child(sys.argv[2], sys.argv[3])
    else:
        main()
