"""Output grids, tile layouts and seamless stitching of per-tile logits.

Tiles overlap; each tile's logits are weighted by a separable taper that is ~0 at the tile's own edges (where the
model sees least context) and 1 inside, normalised so that the weights of all tiles covering a pixel sum to 1. The
blend is therefore a convex combination of logits: no seams, and an object crossing a tile edge stays one region.
Stitching streams by tile rows: only a strip of rows x full width is held, so memory is bounded by the tile size
and the extent's width, never by the raster's height.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from segearth_engine.geo.affine_math import compose
from segearth_engine.geo.source import Window

SHIFT_CHUNK_PIXELS = 4 * 1024 * 1024
TAPER_FLOOR = 1e-3  # weights never reach 0, so a pixel covered by one tile only keeps that tile's logit


@dataclass(frozen=True)
class Grid:
    """The output pixel grid: `height` x `width` pixels covering source `window`, pixel -> map by `transform`."""

    window: Window
    width: int
    height: int
    transform: object  # affine.Affine

    @property
    def scale(self) -> tuple[float, float]:
        """Source pixels per output pixel along x and y."""
        return self.window.width / self.width, self.window.height / self.height

    def source_window(self, col0: int, row0: int, width: int, height: int) -> Window:
        """Source pixels under output pixels [row0, row0+height) x [col0, col0+width) (rounded to whole pixels)."""
        sx, sy = self.scale
        c0 = self.window.col_off + round(col0 * sx)
        r0 = self.window.row_off + round(row0 * sy)
        c1 = self.window.col_off + round((col0 + width) * sx)
        r1 = self.window.row_off + round((row0 + height) * sy)
        return Window(c0, r0, max(1, c1 - c0), max(1, r1 - r0))


def make_grid(source_transform, window: Window, width: int, height: int) -> Grid:
    """Grid of `height` x `width` pixels over `window`; works for rotated geotransforms too (pure affine algebra)."""
    from affine import Affine

    transform = compose(source_transform, Affine.translation(window.col_off, window.row_off),
                        Affine.scale(window.width / width, window.height / height))
    return Grid(window, int(width), int(height), transform)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile offsets along one axis: at least `overlap` shared pixels, first at 0, last flush with the end."""
    if length <= tile:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def axis_weights(length: int, starts: list[int], size: int, ramp: int) -> list[np.ndarray]:
    """Per-tile 1-D weights along one axis, each of length `size`, summing to 1 at every position."""
    u = np.arange(size, dtype=np.float64)
    taper = np.clip(np.minimum(u + 0.5, size - 0.5 - u) / max(ramp, 1), TAPER_FLOOR, 1.0)
    total = np.zeros(length, dtype=np.float64)
    for start in starts:
        total[start:start + size] += taper
    return [(taper / total[start:start + size]).astype(np.float32) for start in starts]


@dataclass(frozen=True)
class Tile:
    row: int  # index in the layout
    col: int
    row0: int  # offset in output pixels
    col0: int
    height: int
    width: int


class TileLayout:
    """Tiles of at most `tile` x `tile` output pixels over a grid, with their blending weights."""

    def __init__(self, grid: Grid, tile: int, overlap: int) -> None:
        self.grid = grid
        self.tile_h, self.tile_w = min(tile, grid.height), min(tile, grid.width)
        self.row_starts = tile_starts(grid.height, self.tile_h, overlap)
        self.col_starts = tile_starts(grid.width, self.tile_w, overlap)
        self._wy = axis_weights(grid.height, self.row_starts, self.tile_h, overlap)
        self._wx = axis_weights(grid.width, self.col_starts, self.tile_w, overlap)

    def __len__(self) -> int:
        return len(self.row_starts) * len(self.col_starts)

    def __iter__(self) -> Iterator[Tile]:
        for i, row0 in enumerate(self.row_starts):
            for j, col0 in enumerate(self.col_starts):
                yield Tile(i, j, row0, col0, self.tile_h, self.tile_w)

    def weights(self, tile: Tile) -> np.ndarray:
        return self._wy[tile.row][:, None] * self._wx[tile.col][None, :]


# (first row, logits [rows, width], valid [rows, width]); the arrays are views of the strip, valid only during the call
RowSink = Callable[[int, np.ndarray, np.ndarray], None]


class StripStitcher:
    """Accumulates weighted tile logits in a strip of rows and hands finished rows to `sink` in order."""

    def __init__(self, layout: TileLayout, sink: RowSink) -> None:
        self.layout = layout
        self.sink = sink
        width = layout.grid.width
        self._cap = layout.tile_h  # a tile row starts where the previous flush stopped
        self._logits = np.zeros((self._cap, width), dtype=np.float32)
        self._valid = np.zeros((self._cap, width), dtype=bool)
        self._top = 0  # grid row held in strip row 0
        self._bottom = 0  # one past the last grid row touched so far

    def add(self, tile: Tile, logits: np.ndarray, valid: np.ndarray) -> None:
        """Blend one tile (its logits and valid-pixel mask at tile size); finishes rows no later tile can touch."""
        if tile.row0 < self._top:
            raise ValueError("tiles must come in row order")
        r0 = tile.row0 - self._top
        rows = slice(r0, r0 + tile.height)
        cols = slice(tile.col0, tile.col0 + tile.width)
        self._logits[rows, cols] += logits * self.layout.weights(tile)
        self._valid[rows, cols] = valid
        self._bottom = max(self._bottom, tile.row0 + tile.height)
        if tile.col == len(self.layout.col_starts) - 1:  # a tile row is complete
            starts = self.layout.row_starts
            done = starts[tile.row + 1] if tile.row + 1 < len(starts) else self.layout.grid.height
            self._flush(done)

    def _flush(self, upto: int) -> None:
        count = upto - self._top
        if count <= 0:
            return
        self.sink(self._top, self._logits[:count], self._valid[:count])  # views: a sink copies what it keeps
        keep = self._bottom - upto
        # move the kept rows up in pieces of at most `count` rows: source and destination never overlap, so numpy
        # needs no temporary copy of the whole kept part (which grew with the grid's width)
        step = max(1, min(count, SHIFT_CHUNK_PIXELS // max(self._logits.shape[1], 1)))
        for i in range(0, max(keep, 0), step):
            j = min(i + step, keep)
            self._logits[i:j] = self._logits[count + i:count + j]
            self._valid[i:j] = self._valid[count + i:count + j]
        self._logits[max(keep, 0):] = 0
        self._valid[max(keep, 0):] = False
        self._top = upto

    def finish(self) -> None:
        """Flush whatever is left (only needed when the run stopped early)."""
        self._flush(max(self._bottom, self._top))
