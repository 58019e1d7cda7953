"""Cluster figures: tiles/s with 1 and 2 local worker processes (same run, same raster), and the client's peak RSS
for two raster sizes (it must not grow with the raster: results stream through the sidecar, cells are stitched one
at a time).

Tiny random model (the model's cost is not the full-size one: see bench_model). The throughput raster is textured
everywhere (every tile runs the model); workers are warmed up (model loaded) before timing. The RSS rasters are
sparse tiled GeoTIFFs (one textured 2048 block, the rest nodata: those tiles are read but skip the model), each run
in a fresh client subprocess whose own ru_maxrss is reported (worker processes are not counted).
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
QUESTION = "where are the fields?"
RSS_SIZES = (6000, 12000)


def _tiny_model(folder: Path) -> Path:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    model = folder / "tiny"
    if not (model / "config.json").is_file():
        make_tiny_model(model, seed=0)
    return model


def _write(path: Path, height: int, width: int, textured: tuple[int, int] | None = None) -> Path:
    """Textured raster; with `textured` only that top-left block has data and the rest is sparse nodata."""
    import rasterio
    from affine import Affine

    from segearth_engine.geo.crs import ensure_proj_data

    ensure_proj_data()
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 3, "dtype": "uint8", "crs": "EPSG:32633",
               "transform": Affine(0.5, 0, 500000, 0, -0.5, 4000000), "tiled": True, "blockxsize": 512,
               "blockysize": 512, "sparse_ok": True, "nodata": 0, "BIGTIFF": "IF_SAFER"}
    rng = np.random.default_rng(0)
    th, tw = textured or (height, width)
    with rasterio.open(path, "w", **profile) as ds:
        for r in range(0, th, 1024):
            for c in range(0, tw, 1024):
                h, w = min(1024, th - r), min(1024, tw - c)
                ds.write(rng.integers(1, 255, (3, h, w), dtype=np.uint8), window=rasterio.windows.Window(c, r, w, h))
    return path


def _warm(client, model: Path) -> None:
    """Register the model plugin and load the model on every worker, so timings exclude loading."""
    from segearth_engine.distributed.worker import ModelPlugin

    plugin = ModelPlugin(str(model.resolve()))
    client.register_plugin(plugin, name=plugin.name)
    client.run(lambda dask_worker, name=plugin.name: dask_worker.plugins[name].segmenter() and None)


def bench_throughput(model: Path, folder: Path) -> None:
    from segearth_engine.distributed.cluster import open_client
    from segearth_engine.distributed.runner import run_on_cluster
    from segearth_engine.pipeline.raster import SegmentationRequest

    raster = _write(folder / "textured.tif", 1200, 2600)  # 2 x 3 tiles
    request = SegmentationRequest(QUESTION, mode="tiled")
    rates = {}
    for workers in (1, 2):
        with open_client(workers=workers) as client:
            _warm(client, model)
            start = time.perf_counter()
            result = run_on_cluster(client, raster, model, request, folder / f"w{workers}.gpkg", tiles_per_task=1)
            rates[workers] = result.tiles_run / (time.perf_counter() - start)
            print(f"{workers} worker(s): {result.tiles_run} tiles of 1024 in {time.perf_counter() - start:.1f} s "
                  f"-> {rates[workers]:.2f} tiles/s", flush=True)
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x ({os.cpu_count()} CPU cores here; each worker's ONNX "
          "Runtime already uses every physical core, so CPU-only scaling is bounded; GPU workers scale per GPU)")


def _rss_child(raster: str, model: str, out: str) -> None:
    """Runs in a subprocess: a 2-worker LocalCluster run, then the client's own peak RSS (MiB) as JSON."""
    import resource

    from segearth_engine.distributed.cluster import open_client
    from segearth_engine.distributed.runner import run_on_cluster
    from segearth_engine.pipeline.raster import SegmentationRequest

    with open_client(workers=2) as client:
        start = time.perf_counter()
        result = run_on_cluster(client, raster, model, SegmentationRequest(QUESTION, mode="tiled"), out,
                                tiles_per_task=8)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mib": peak, "tiles": result.tiles_total, "polygons": len(result.features),
                      "seconds": seconds}))


def bench_rss(model: Path, folder: Path) -> None:
    rows = []
    for size in RSS_SIZES:
        raster = _write(folder / f"sparse{size}.tif", size, size, textured=(2048, 2048))
        out = folder / f"rss{size}.gpkg"
        proc = subprocess.run([sys.executable, __file__, "--rss-child", str(raster), str(model), str(out)],
                              capture_output=True, text=True, cwd=ROOT, check=True)
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append((size, figures))
        print(f"{size} x {size} px ({figures['tiles']} tiles): client peak RSS {figures['peak_mib']:.0f} MiB, "
              f"{figures['seconds']:.1f} s", flush=True)
    growth = rows[-1][1]["peak_mib"] / rows[0][1]["peak_mib"]
    print(f"client peak RSS ratio {RSS_SIZES[-1]}² / {RSS_SIZES[0]}²: {growth:.2f}x for "
          f"{(RSS_SIZES[-1] / RSS_SIZES[0]) ** 2:.0f}x the pixels")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="segearth-bench-dist-") as tmp:
        folder = Path(tmp)
        model = Path(os.environ.get("SEGEARTH_TINY_MODEL") or _tiny_model(folder))
        bench_throughput(model, folder)
        bench_rss(model, folder)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--rss-child":
        _rss_child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
