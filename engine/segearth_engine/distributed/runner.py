"""The client's side of a cluster run: plan, submit tile batches, save results, finish strips, write one output.

The client never holds more than a few tiles: results are written to the sidecar as they arrive, cell rows are
vectorised as soon as every tile they need is resolved (then those tiles are deleted), and only the finished
polygons are gathered for the final GeoPackage. Batches are submitted in layout order with a bounded number in
flight, so strips finish steadily and the workers' memory stays bounded too.

Callers' names come from segearth_engine.api; the tile plan (pipeline.raster.plan_layout, require_georeference), the
tiling and R1's config (the canvas size) are the pipeline's own machinery, which the runner distributes, so it reads
them from their rooms.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from segearth_engine.api import (
    InputError,
    ModelFilesError,
    RasterioSource,
    SegmentationRequest,
    check_mode,
    check_output,
    model_family,
    output_kind,
    write_vector,
)
from segearth_engine.distributed.merge import FAILED, BorderMerger, Cells, Piece, PieceStore
from segearth_engine.distributed.sidecar import RunFolder
from segearth_engine.distributed.tasks import TileJob, TileOutcome, run_tiles
from segearth_engine.distributed.worker import ModelPlugin
from segearth_engine.geo.affine_math import apply
from segearth_engine.geo.tiling import Tile
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.pipeline.raster import plan_layout, require_georeference

MAX_ATTEMPTS = 2  # a tile that fails this many times goes to the failures table
Progress = Callable[[int, int, int, float], None]  # (tiles resolved, total, failed, tiles/s this run)


@dataclass
class ClusterResult:
    features: list
    crs_wkt: str
    out: Path
    model: str
    tiles_total: int
    tiles_run: int  # computed by this run (the rest were done by an earlier run and resumed)
    failures: list[dict] = field(default_factory=list)
    failures_path: Path | None = None
    seconds: float = 0.0

    @property
    def area_m2(self) -> float:
        return float(sum(attrs["area_m2"] for _, attrs in self.features))

    @property
    def tiles_per_s(self) -> float:
        return self.tiles_run / self.seconds if self.seconds > 0 else 0.0


def failures_path(out: str | Path) -> Path:
    out = Path(out).expanduser()
    return out.with_name(out.name + ".failures.csv")


def _model_folder(model: str | Path) -> Path:
    folder = Path(model).expanduser()
    if not (folder / "config.json").is_file():
        raise ModelFilesError(f"{model}: cluster runs need a model folder (with config.json) that every worker can "
                              "read at the same path; download it first (segearth download)")
    return folder.resolve()


def _model_id(folder: Path) -> str:
    from segearth_engine.weights.hub import read_manifest

    return (read_manifest(folder) or {}).get("repo_id") or folder.name


def _fingerprint(source, window, grid, radiometry, request: SegmentationRequest, canvas: int, key: str) -> str:
    plan = {"source": source.source_id, "window": list(window.__dict__.values()), "grid": [grid.width, grid.height],
            "transform": list(grid.transform)[:6], "canvas": canvas, "overlap": request.overlap,
            "radiometry": repr(radiometry.key()), "question": request.question, "task": request.task, "model": key,
            "simplify": request.simplify, "min_area": request.min_area}
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


class _TileCache:
    """The last few tiles read back from the sidecar (a cell row needs each tile for up to three cells)."""

    def __init__(self, folder: RunFolder, failed: set, size: int = 16) -> None:
        self.folder, self.failed, self.size = folder, failed, size
        self._items: OrderedDict = OrderedDict()

    def __call__(self, row: int, col: int):
        if (row, col) in self.failed:
            return FAILED
        if (row, col) not in self._items:
            self._items[(row, col)] = self.folder.load_tile(row, col)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        self._items.move_to_end((row, col))
        return self._items[(row, col)]


class _Strips:
    """Finishes cell rows in order as their tiles resolve; writes each to the sidecar, then drops unneeded tiles."""

    def __init__(self, folder: RunFolder, cells: Cells, grid, crs_wkt: str, request: SegmentationRequest,
                 base: dict, failed: set) -> None:
        self.folder, self.cells, self.grid, self.crs_wkt = folder, cells, grid, crs_wkt
        self.request, self.base, self.failed = request, base, failed
        self.next = folder.strips_done()
        opened = folder.load_strip(self.next - 1)["open"] if self.next else []
        self.merger = BorderMerger(cells, [Piece.load(item) for item in opened])
        self.cache = _TileCache(folder, failed)

    def advance(self, resolved: set) -> None:
        """Finish every next cell row whose tiles are all resolved (done or failed for good)."""
        cols = range(len(self.cells.layout.col_starts))
        while self.next < self.cells.n_rows and all(
                (k, m) in resolved for k in self.cells.tile_rows(self.next) for m in cols):
            self._finish(self.next)
            self.next += 1

    def _finish(self, i: int) -> None:
        from segearth_engine.geo.vectorize import vectorise

        finals, border = [], []
        for j in range(self.cells.n_cols):
            logits, valid = self.cells.blend(i, j, self.cache)
            for piece, touches in self.cells.pieces(i, j, logits, valid):
                (border if touches else finals).append(piece)
        finals += self.merger.add_row(i, border)
        features = vectorise(PieceStore(finals, self.grid.transform), self.crs_wkt, self.base,
                             self.request.simplify, self.request.min_area)
        self.folder.save_strip(i, {"features": [[geom.wkb_hex, attrs] for geom, attrs in features],
                                   "open": [piece.dump() for piece in self.merger.open]})
        for k, _ in enumerate(self.cells.layout.row_starts):
            if self.cells.last_cell_row(k) == i:
                for m, _ in enumerate(self.cells.layout.col_starts):
                    self.folder.drop_tile(k, m)

    def features(self) -> list:
        from shapely import wkb

        out = []
        for i in range(self.cells.n_rows):
            out += [(wkb.loads(bytes.fromhex(geom)), attrs) for geom, attrs in self.folder.load_strip(i)["features"]]
        return out


def _check_gpu_workers(client) -> None:
    workers = client.scheduler_info().get("workers", {})
    if not any(w.get("resources", {}).get("GPU", 0) >= 1 for w in workers.values()):
        raise InputError("--gpu-per-task: no worker declares a GPU resource; start workers with "
                         "`dask worker ADDRESS --nthreads 1 --resources GPU=1`")


def _register(client, plugin: ModelPlugin) -> None:
    """Once per model hash on a cluster: re-registering would make every worker load the model again."""
    known = client.run_on_scheduler(lambda dask_scheduler, name=plugin.name: name in dask_scheduler.worker_plugins)
    if not known:
        client.register_plugin(plugin, name=plugin.name)


@dataclass
class _Plan:
    """What the client fixes before any task runs: the output, the model, the tile plan and its fingerprint."""

    out: Path
    request: SegmentationRequest
    plugin: ModelPlugin
    model_id: str
    grid: object
    radiometry: object
    layout: object
    crs_wkt: str
    fingerprint: str


def _plan(raster: str | Path, model: str | Path, request: SegmentationRequest, out: str | Path, backend: str,
          device: str, tiles_per_task: int, overwrite: bool, segmenter_options: dict | None) -> _Plan:
    """Refuse what a cluster run cannot do (before any task), then plan the tiles exactly as the pipeline would."""
    if request.mode != "tiled":
        raise InputError("cluster runs use --mode tiled (a view is one model pass: run it without a cluster)")
    if output_kind(out) != "vector":
        raise InputError("cluster runs write polygons (.gpkg, .shp, .geojson); for a mask GeoTIFF run without a "
                         "cluster")
    if tiles_per_task < 1:
        raise InputError(f"--tiles-per-task must be at least 1, not {tiles_per_task}")
    out = check_output(out, overwrite)
    folder_path = _model_folder(model)
    check_mode(model_family(folder_path), request.mode)
    canvas = SegEarthConfig.from_file(folder_path / "config.json").image_size
    request = request.checked(canvas)
    plugin = ModelPlugin(str(folder_path), backend, device, segmenter_options)
    with RasterioSource(raster) as source:
        require_georeference(source)
        window, grid, radiometry, layout = plan_layout(source, request, canvas)
        fingerprint = _fingerprint(source, window, grid, radiometry, request, canvas, plugin.key)
        crs_wkt = source.crs_wkt
    return _Plan(out, request, plugin, _model_id(folder_path), grid, radiometry, layout, crs_wkt, fingerprint)


def _resumed(folder: RunFolder, cells: Cells) -> tuple[set, set, dict]:
    """(done, failed, errors) of an earlier run of the same plan, from the sidecar's log."""
    done, failed, errors = set(), set(), {}
    strips_done = folder.strips_done()
    for event in folder.read_log():
        tile = (event["row"], event["col"])
        finished_strips = cells.last_cell_row(tile[0]) < strips_done
        if event["event"] == "done" and (finished_strips or folder.has_tile(*tile)):
            done.add(tile)
        elif event["event"] == "failed" and finished_strips:
            failed.add(tile)  # its strips are written: it stays a hole, listed in the failures table
            errors[tile] = event.get("error", "")
    return done, failed, errors


class _Dispatch:
    """Submits tile batches in layout order with a bounded number in flight, records each outcome in the sidecar,
    retries a failed tile alone once, and finishes strips as their tiles resolve."""

    def __init__(self, client, job: TileJob, folder: RunFolder, strips: _Strips, state: tuple[set, set, dict],
                 total: int, cap: int, gpu_per_task: bool, progress: Progress | None) -> None:
        from distributed import as_completed

        self.client, self.job, self.folder, self.strips = client, job, folder, strips
        self.done, self.failed, self.errors = state
        self.resolved = self.done | self.failed
        self.total, self.cap, self.progress = total, cap, progress
        self.resources = {"GPU": 1} if gpu_per_task else None
        self.queue: list[tuple[list[Tile], int]] = []
        self.pending = as_completed(loop=client.loop)
        self.batches: dict = {}
        self.attempts: dict = {}
        self.ran = 0
        self.run_start = time.perf_counter()

    def run(self, todo: list[Tile], tiles_per_task: int) -> None:
        self.queue = [(todo[i:i + tiles_per_task], 1) for i in range(0, len(todo), tiles_per_task)]
        self.queue.reverse()  # pop() from the end = layout order
        try:
            self._submit()
            self._report()
            for future in self.pending:
                batch, attempt = self.batches.pop(future.key)
                try:
                    outcomes = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost task (KilledWorker) or one that failed twice
                    outcomes = [TileOutcome(t.row, t.col, error=f"{type(exc).__name__}: {exc}") for t in batch]
                future.release()
                self._record(batch, attempt, outcomes)
                self._submit()
                self.strips.advance(self.resolved)
                self._report()
                self.folder.write_progress({**self.folder.read_progress(), "done": len(self.done),
                                            "failed": len(self.failed), "strips_done": self.strips.next,
                                            "tiles_per_s": round(self._rate(), 3)})
        finally:
            in_flight = list(self.pending.futures)
            if in_flight:
                self.client.cancel(in_flight)

    def _submit(self) -> None:
        while self.queue and self.pending.count() < self.cap:
            batch, attempt = self.queue.pop()
            future = self.client.submit(run_tiles, self.job, batch, key=f"segearth-tiles-{uuid.uuid4().hex}",
                                        retries=1, resources=self.resources)
            self.batches[future.key] = (batch, attempt)
            self.pending.add(future)

    def _record(self, batch: list[Tile], attempt: int, outcomes: list[TileOutcome]) -> None:
        retry = []
        by_id = {(t.row, t.col): t for t in batch}
        for outcome in outcomes:
            tile_id = (outcome.row, outcome.col)
            if tile_id in self.resolved:
                continue
            if outcome.ok:
                self.folder.save_tile(outcome.row, outcome.col, outcome.logits, outcome.valid)
                self.folder.record("done", outcome.row, outcome.col, worker=outcome.worker,
                                   seconds=round(outcome.seconds, 3))
                self.done.add(tile_id)
                self.resolved.add(tile_id)
                self.ran += 1
                continue
            self.attempts[tile_id] = self.attempts.get(tile_id, attempt - 1) + 1
            if self.attempts[tile_id] < MAX_ATTEMPTS:
                retry.append(by_id[tile_id])
            else:
                self.folder.record("failed", outcome.row, outcome.col, error=outcome.error, worker=outcome.worker)
                self.failed.add(tile_id)
                self.errors[tile_id] = outcome.error
                self.resolved.add(tile_id)
        for tile in retry:  # alone this time, so one bad tile cannot fail its neighbours again
            self.queue.append(([tile], 2))

    def _rate(self) -> float:
        return self.ran / max(time.perf_counter() - self.run_start, 1e-9)

    def _report(self) -> None:
        if self.progress:
            self.progress(len(self.resolved), self.total, len(self.failed), self._rate())


def run_on_cluster(client, raster: str | Path, model: str | Path, request: SegmentationRequest, out: str | Path, *,
                   backend: str = "auto", device: str = "auto", tiles_per_task: int = 4, resume: bool = False,
                   overwrite: bool = False, gpu_per_task: bool = False, progress: Progress | None = None,
                   max_in_flight: int | None = None, keep_sidecar: bool = False,
                   segmenter_options: dict | None = None) -> ClusterResult:
    """Tiled segmentation of `raster` on the cluster behind `client`; polygons written to `out` (.gpkg/.shp/.geojson).

    Same tile plan, blending and polygons as pipeline.segment_raster in tiled mode. Progress and per-tile results go to
    sidecar files next to `out` (removed once the output is written unless `keep_sidecar`); `resume` continues an
    interrupted run. An exception (Ctrl-C included) cancels the tasks in flight and keeps the sidecar for --resume.
    `segmenter_options`: further api.load_segmenter arguments for the workers (e.g. {"llm_precision": "fp32"}).
    """
    started = time.perf_counter()
    plan = _plan(raster, model, request, out, backend, device, tiles_per_task, overwrite, segmenter_options)
    request, out = plan.request, plan.out
    if gpu_per_task:
        _check_gpu_workers(client)
    tiles = list(plan.layout)
    total = len(tiles)
    cells = Cells(plan.layout)
    folder = RunFolder(out)
    summary = {"raster": str(raster), "out": str(out), "tiles_total": total, "strips_total": cells.n_rows}
    folder.start(plan.fingerprint, summary, resume, overwrite)
    state = _resumed(folder, cells)
    base = {"question": request.question, "model": plan.model_id, "mode": request.mode}
    strips = _Strips(folder, cells, plan.grid, plan.crs_wkt, request, base, state[1])
    strips.advance(state[0] | state[1])
    todo = [t for t in tiles if (t.row, t.col) not in state[0] | state[1]]
    _register(client, plan.plugin)
    job = TileJob(str(raster), plan.grid, plan.radiometry, request.question, request.task, plan.plugin.name)
    cap = max_in_flight or max(2, 2 * sum(client.nthreads().values()))
    dispatch = _Dispatch(client, job, folder, strips, state, total, cap, gpu_per_task, progress)
    dispatch.run(todo, tiles_per_task)
    failed, errors = dispatch.failed, dispatch.errors
    strips.advance(dispatch.resolved)
    if strips.next < cells.n_rows:  # cannot happen unless the sidecar was tampered with
        raise InputError(f"{folder.folder}: {cells.n_rows - strips.next} strip(s) could not be finished")
    if len(failed) == total:
        first = next(iter(errors.values()), "")
        raise InputError(f"every tile failed (details in {folder.log_path}); first error: {first}")
    features = strips.features()
    failures = [_failure_row(plan.layout, tile_id, errors.get(tile_id, "")) for tile_id in sorted(failed)]
    details = {"task": request.task, "raster": str(raster), "device": "Dask cluster",
               "tiles": total, "failed_tiles": len(failures)}
    write_vector(out, features, plan.crs_wkt, base_attrs={**base, "area_m2": 0.0, "mean_prob": 0.0, "pixels": 0},
                 overwrite=overwrite, details=details)
    table = _write_failures(out, failures)
    if not keep_sidecar:
        folder.remove()
    return ClusterResult(features, plan.crs_wkt, out, plan.model_id, total, dispatch.ran, failures, table,
                         time.perf_counter() - started)


def _failure_row(layout, tile_id: tuple[int, int], error: str) -> dict:
    row, col = tile_id
    tile = Tile(row, col, layout.row_starts[row], layout.col_starts[col], layout.tile_h, layout.tile_w)
    t = layout.grid.transform
    x0, y0 = apply(t, tile.col0, tile.row0)
    x1, y1 = apply(t, tile.col0 + tile.width, tile.row0 + tile.height)
    return {"row": row, "col": col, "row0": tile.row0, "col0": tile.col0, "height": tile.height, "width": tile.width,
            "minx": min(x0, x1), "miny": min(y0, y1), "maxx": max(x0, x1), "maxy": max(y0, y1),
            "attempts": MAX_ATTEMPTS, "error": error}


def _write_failures(out: Path, failures: list[dict]) -> Path | None:
    """`<out>.failures.csv` (tile ids, pixel and map extents, last error); a stale table of this output is removed."""
    path = failures_path(out)
    if not failures:
        path.unlink(missing_ok=True)
        return None
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(failures[0]))
        writer.writeheader()
        writer.writerows(failures)
    os.replace(tmp, path)
    return path
