"""`segearth segment`: one question on a raster file -> polygons (.gpkg/.shp/.geojson) or a mask GeoTIFF."""

from __future__ import annotations

import argparse
import math
import sys
import time

from segearth_engine.commands.runtime_options import add_runtime_arguments, load_segmenter, segmenter_options
from segearth_engine.errors import InputError


def parse_extent(text: str | None) -> tuple[tuple[float, float, float, float] | None, str | None]:
    """'minx,miny,maxx,maxy[,crs]' -> ((minx, miny, maxx, maxy), crs or None)."""
    if not text:
        return None, None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 5):
        raise InputError(f"--extent is minx,miny,maxx,maxy[,crs], not {text!r}")
    try:
        box = tuple(float(p) for p in parts[:4])
    except ValueError as exc:
        raise InputError(f"--extent {text!r}: {exc}") from exc
    if not all(math.isfinite(v) for v in box):
        raise InputError(f"--extent {text!r}: every value must be a finite number")
    return box, (parts[4] or None) if len(parts) == 5 else None  # type: ignore[return-value]


def parse_bands(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(p) for p in text.split(","))
    except ValueError as exc:
        raise InputError(f"--bands is a comma-separated list of band numbers, not {text!r}") from exc


class _Bar:
    """tqdm bar (stderr) driven by the pipeline's progress(fraction, stage) callback."""

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=1000, bar_format="{desc:<12} {bar} {percentage:3.0f}% {elapsed}<{remaining}")

    def __call__(self, fraction: float, stage: str = "") -> None:
        if self._bar is None:
            return
        if stage:
            self._bar.set_description_str(stage, refresh=False)
        self._bar.update(max(0, round(1000 * fraction) - self._bar.n))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def make_output_folder(out: str) -> None:
    """Create the output's folder when missing (as `make demo` expects for artifacts/); refuse clearly if impossible."""
    from pathlib import Path

    folder = Path(out).expanduser().parent
    if not folder.exists():
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc


def _run(args: argparse.Namespace) -> int:
    from segearth_engine.api import (
        RasterioSource,
        SegmentationRequest,
        check_output,
        output_kind,
        segment_raster,
        write_vector,
    )
    from segearth_engine.pipeline.preflight import preflight

    question = " ".join((args.question or "").split())
    extent, extent_crs = parse_extent(args.extent)
    request = SegmentationRequest(question=question, task=args.task, mode=args.mode, extent=extent,
                                  extent_crs=extent_crs, resolution=args.resolution, bands=parse_bands(args.bands),
                                  overlap=args.overlap, min_area=args.min_area, simplify=args.simplify)
    request.checked(1024)
    kind = output_kind(args.out)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, not {args.workers}")
    make_output_folder(args.out)
    inputs = (args.raster, args.model)
    check_output(args.out, args.overwrite, inputs)  # refuse before minutes of computing
    if args.scheduler or args.workers:
        return _run_cluster(args, request)
    if args.resume:
        raise InputError("--resume continues a cluster run: give --scheduler ADDRESS or --workers N too")
    start = time.perf_counter()
    with RasterioSource(args.raster) as source:
        request = preflight(source, request, args.model)  # raster, extent, bands, limits, question: before loading
        segmenter = load_segmenter(args)
        bar = _Bar(enabled=not args.quiet)
        try:
            result = segment_raster(source, segmenter, request, progress=bar,
                                    mask_path=args.out if kind == "raster" else None, overwrite=args.overwrite)
        finally:
            bar.close()
    if kind == "vector":
        details = {"task": args.task, "raster": str(args.raster), "device": result.device}
        write_vector(args.out, result.features, result.crs_wkt, base_attrs={"question": question,
                     "model": result.model, "mode": args.mode, "area_m2": 0.0, "mean_prob": 0.0, "pixels": 0},
                     overwrite=args.overwrite, details=details, inputs=inputs)
    elapsed = time.perf_counter() - start
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{len(result.features)} polygons, {result.area_m2:,.0f} m², {result.tiles} tile(s), "
          f"encoder {result.encoder_calls}x, device {result.device}, {elapsed:.1f} s -> {args.out}")
    return 0


def _run_cluster(args: argparse.Namespace, request) -> int:
    """--scheduler/--workers: the tiled plan on Dask (segearth_engine.distributed)."""
    from segearth_engine.distributed.cluster import dashboard_text, open_client
    from segearth_engine.distributed.progress import TileBar
    from segearth_engine.distributed.runner import run_on_cluster

    start = time.perf_counter()
    with open_client(args.scheduler, args.workers, gpus_per_worker=1 if args.gpu_per_task else 0) as client:
        print(dashboard_text(client), flush=True)
        bar = TileBar(enabled=not args.quiet)
        try:
            result = run_on_cluster(client, args.raster, args.model, request, args.out, backend=args.backend,
                                    device=args.device, tiles_per_task=args.tiles_per_task, resume=args.resume,
                                    overwrite=args.overwrite, gpu_per_task=args.gpu_per_task, progress=bar,
                                    segmenter_options=segmenter_options(args))
        finally:
            bar.close()
    elapsed = time.perf_counter() - start
    failed = f", {len(result.failures)} failed (see {result.failures_path})" if result.failures else ""
    print(f"{len(result.features)} polygons, {result.area_m2:,.0f} m², {result.tiles_total} tile(s){failed}, "
          f"{result.tiles_per_s:.2f} tiles/s, {elapsed:.1f} s -> {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("segment", help="answer a question on a raster: polygons or a mask GeoTIFF",
                       description="Bands: --bands wins; else red/green/blue by colour interpretation; else the "
                       "first three bands; 1 or 2 bands: band 1 as grey (a 2nd band is used only as alpha). "
                       "Non-8-bit data gets one 2-98%% stretch per run. Nodata/alpha pixels are never segmented.")
    p.add_argument("raster", help="any raster GDAL reads (GeoTIFF, VRT, ...), georeferenced")
    p.add_argument("--question", required=True, help="the question or referring expression")
    p.add_argument("--model", required=True, help="model folder (or Hugging Face repo id)")
    p.add_argument("--task", default="reasoning", choices=("reasoning", "referring"))
    p.add_argument("--mode", default="view", choices=("view", "tiled"),
                   help="view: extent resampled to the model's 1024 px, one pass; tiled: native resolution tiles")
    p.add_argument("--extent", default=None, help="minx,miny,maxx,maxy[,crs] (default: whole raster, raster CRS)")
    p.add_argument("--resolution", type=float, default=None, help="tiled mode pixel size in the raster CRS's units")
    p.add_argument("--bands", default=None, help="1-based bands, e.g. 3,2,1 or 4 (grey)")
    p.add_argument("--overlap", type=int, default=128, help="tiled mode overlap in pixels (default 128)")
    p.add_argument("--min-area", type=float, default=0.0, help="drop polygons smaller than this many m²")
    p.add_argument("--simplify", type=float, default=0.0, help="simplify tolerance in the raster CRS's units")
    p.add_argument("--out", required=True, help=".gpkg, .shp, .geojson (polygons) or .tif (mask)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_runtime_arguments(p)
    c = p.add_argument_group("cluster (tiled mode on Dask distributed; model folder and raster readable by every "
                             "worker at the same path or GDAL URL)")
    c.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    c.add_argument("--workers", type=int, default=None, metavar="N",
                   help="start a local cluster of N worker processes on this machine instead")
    c.add_argument("--tiles-per-task", type=int, default=4, help="tiles per Dask task (default 4)")
    c.add_argument("--resume", action="store_true", help="continue an interrupted run: skip tiles already done")
    c.add_argument("--gpu-per-task", action="store_true",
                   help="each task needs one GPU resource (workers started with --resources GPU=1)")
    p.set_defaults(func=_run)
