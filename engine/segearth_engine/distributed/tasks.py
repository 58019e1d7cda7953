"""What one Dask task computes: a batch of tiles of the plan -> per-tile logits and valid masks (or an error).

Each tile goes through the pipeline's own per-tile step (pipeline/tile_step.answer_tiles: same window, same
radiometry, same nodata shortcut), so blending the outcomes gives the single-process answer. A tile's exception is
caught and reported with its id, so one bad tile does not throw away its batch; an exception outside the tiles (model
loading, opening the raster) fails the task and Dask retries it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from segearth_engine.geo.radiometry import Radiometry
from segearth_engine.geo.tiling import Grid, Tile
from segearth_engine.models.base import Segmenter
from segearth_engine.pipeline.tile_step import answer_tiles


@dataclass(frozen=True)
class TileJob:
    """Everything a worker needs besides the tiles; small, sent with every task."""

    raster: str
    grid: Grid
    radiometry: Radiometry
    question: str
    task: str
    plugin: str


@dataclass
class TileOutcome:
    """logits/valid at tile size; both None with no error: the tile holds no valid pixel (NODATA_LOGIT)."""

    row: int
    col: int
    logits: np.ndarray | None = None
    valid: np.ndarray | None = None
    error: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def compute_tile(source, segmenter: Segmenter, job: TileJob,
                 tile: Tile) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One tile through the pipeline's per-tile step; (None, None) when it holds no valid pixel."""
    answer = answer_tiles(segmenter, source, job.grid, job.radiometry, [tile], job.question, job.task)[0]
    if answer.prediction is None:
        return None, None
    return answer.logits(), answer.valid


def run_tiles(job: TileJob, tiles: list[Tile]) -> list[TileOutcome]:
    """The Dask task: the worker's model (loaded once by its plugin) on each tile of the batch."""
    from distributed import get_worker

    from segearth_engine.geo.rasterio_source import RasterioSource

    worker = get_worker()
    segmenter = worker.plugins[job.plugin].segmenter()
    outcomes = []
    with RasterioSource(job.raster) as source:
        for tile in tiles:
            start = time.perf_counter()
            try:
                logits, valid = compute_tile(source, segmenter, job, tile)
                outcome = TileOutcome(tile.row, tile.col, logits, valid)
            except Exception as exc:  # noqa: BLE001 - reported per tile; the client retries it, then records it
                outcome = TileOutcome(tile.row, tile.col, error=f"{type(exc).__name__}: {exc}")
            outcome.seconds, outcome.worker = time.perf_counter() - start, worker.address
            outcomes.append(outcome)
    return outcomes
