"""Stitching without the whole grid in memory: per-cell blending, per-cell polygons, merging across cell borders.

The grid is cut into cells, one per tile (boundaries in the middle of each overlap). A cell's logits are the blend of
the few tiles covering it, summed in the same order and with the same weights as StripStitcher, so every pixel's
value (and the mask) is bit-identical to the single-process run. Each cell is polygonised on its own in pixel
coordinates (integers, so shared edges match exactly); pieces touching an inner cell border are unioned with the
neighbours they share an edge with (4-connectivity: corner contacts are not merged, as in the single-process run).
Cell rows stream: only pieces touching the current row's lower border stay open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from segearth_engine.geo.store import sigmoid
from segearth_engine.geo.tiling import Tile, TileLayout
from segearth_engine.pipeline.tile_step import NODATA_LOGIT

# (logits, valid) of a tile; (None, None): no valid pixel; "failed": the tile could not be computed
TileLoader = Callable[[int, int], "tuple[np.ndarray | None, np.ndarray | None] | str"]
FAILED = "failed"


def cell_bounds(starts: list[int], size: int, length: int) -> list[int]:
    """Cell edges along one axis: 0, the middle of each overlap, the end; cell i is tile i's share."""
    return [0, *[(starts[i - 1] + size + starts[i]) // 2 for i in range(1, len(starts))], length]


def covering(starts: list[int], size: int, lo: int, hi: int) -> list[int]:
    """Indices of the tiles (along one axis) that cover any of [lo, hi)."""
    return [k for k, s in enumerate(starts) if s < hi and s + size > lo]


@dataclass
class Piece:
    """Part of an answer region in pixel coordinates (x = column, y = row), with its pixel count and sum of p."""

    geom: object
    pixels: int
    prob_sum: float

    def dump(self) -> list:
        return [self.geom.wkb_hex, self.pixels, self.prob_sum]

    @classmethod
    def load(cls, item: list) -> Piece:
        from shapely import wkb

        return cls(wkb.loads(bytes.fromhex(item[0])), int(item[1]), float(item[2]))


class Cells:
    """The cell partition of a tile layout and the blending of one cell."""

    def __init__(self, layout: TileLayout) -> None:
        self.layout = layout
        grid = layout.grid
        self.row_bounds = cell_bounds(layout.row_starts, layout.tile_h, grid.height)
        self.col_bounds = cell_bounds(layout.col_starts, layout.tile_w, grid.width)
        self.n_rows, self.n_cols = len(self.row_bounds) - 1, len(self.col_bounds) - 1

    def tile_rows(self, i: int) -> list[int]:
        return covering(self.layout.row_starts, self.layout.tile_h, self.row_bounds[i], self.row_bounds[i + 1])

    def tile_cols(self, j: int) -> list[int]:
        return covering(self.layout.col_starts, self.layout.tile_w, self.col_bounds[j], self.col_bounds[j + 1])

    def last_cell_row(self, tile_row: int) -> int:
        """The last cell row that needs tile row `tile_row`: its tiles can be dropped once that row is done."""
        return max(i for i in range(self.n_rows) if tile_row in self.tile_rows(i))

    def blend(self, i: int, j: int, load: TileLoader) -> tuple[np.ndarray, np.ndarray]:
        """(logits, valid) of cell (i, j); where a covering tile failed, the others' weights are renormalised."""
        lay = self.layout
        r0, r1 = self.row_bounds[i], self.row_bounds[i + 1]
        c0, c1 = self.col_bounds[j], self.col_bounds[j + 1]
        acc = np.zeros((r1 - r0, c1 - c0), dtype=np.float32)
        valid = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        wsum = covered = None
        failed = False
        for k in self.tile_rows(i):  # layout order (rows, then columns) = StripStitcher's order of additions
            for m in self.tile_cols(j):
                tile = Tile(k, m, lay.row_starts[k], lay.col_starts[m], lay.tile_h, lay.tile_w)
                gr0, gr1 = max(r0, tile.row0), min(r1, tile.row0 + tile.height)
                gc0, gc1 = max(c0, tile.col0), min(c1, tile.col0 + tile.width)
                dst = (slice(gr0 - r0, gr1 - r0), slice(gc0 - c0, gc1 - c0))
                src = (slice(gr0 - tile.row0, gr1 - tile.row0), slice(gc0 - tile.col0, gc1 - tile.col0))
                loaded = load(k, m)
                weights = lay.weights(tile)[src]
                if isinstance(loaded, str):
                    failed = True
                    continue
                logits, tile_valid = loaded
                if logits is None:
                    logits = np.full((tile.height, tile.width), NODATA_LOGIT, dtype=np.float32)
                    tile_valid = np.zeros((tile.height, tile.width), dtype=bool)
                acc[dst] += logits[src] * weights
                valid[dst] = tile_valid[src]
                if wsum is None:
                    wsum, covered = np.zeros_like(acc), np.zeros_like(valid)
                wsum[dst] += weights
                covered[dst] = True
        if failed:
            if wsum is None:
                return np.full_like(acc, NODATA_LOGIT), valid
            acc = np.where(wsum > 0, acc / np.maximum(wsum, 1e-12), NODATA_LOGIT).astype(np.float32)
            valid &= covered
        return acc, valid

    def pieces(self, i: int, j: int, logits: np.ndarray, valid: np.ndarray) -> Iterator[tuple[Piece, bool]]:
        """(piece, touches an inner cell border) per 4-connected answer region of the cell."""
        from affine import Affine
        from rasterio.features import shapes
        from scipy import ndimage
        from shapely.geometry import shape

        labels, count = ndimage.label((logits > 0) & valid)
        if count == 0:
            return
        r0, r1 = self.row_bounds[i], self.row_bounds[i + 1]
        c0, c1 = self.col_bounds[j], self.col_bounds[j + 1]
        flat = labels.ravel()
        pixels = np.bincount(flat, minlength=count + 1)
        sums = np.bincount(flat, weights=np.where(valid, sigmoid(logits), 0.0).ravel(), minlength=count + 1)
        for geom, value in shapes(labels.astype(np.int32), mask=labels > 0, connectivity=4,
                                  transform=Affine.translation(c0, r0)):
            polygon = shape(geom)
            minx, miny, maxx, maxy = polygon.bounds
            touches = ((j > 0 and minx == c0) or (j < self.n_cols - 1 and maxx == c1)
                       or (i > 0 and miny == r0) or (i < self.n_rows - 1 and maxy == r1))
            yield Piece(polygon, int(pixels[int(value)]), float(sums[int(value)])), touches


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return min(a[1], b[1]) - max(a[0], b[0]) > 0


class BorderMerger:
    """Unions pieces that share an edge across cell borders, one cell row at a time."""

    def __init__(self, cells: Cells, open_pieces: list[Piece] | None = None) -> None:
        self.cells = cells
        self.open: list[Piece] = list(open_pieces or [])

    def add_row(self, i: int, pieces: list[Piece]) -> list[Piece]:
        """Merge row i's border pieces with the open ones above; returns the regions that are now complete."""
        cells = self.cells
        items = self.open + pieces
        parent = list(range(len(items)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        buckets: dict[tuple, tuple[list[int], list[int]]] = {}
        top = cells.row_bounds[i]
        for index, piece in enumerate(items):
            minx, miny, maxx, maxy = piece.geom.bounds
            if index < len(self.open):
                buckets.setdefault(("h", top), ([], []))[0].append(index)
                continue
            if i > 0 and miny == top:
                buckets.setdefault(("h", top), ([], []))[1].append(index)
            if minx in cells.col_bounds[1:-1]:
                buckets.setdefault(("v", minx), ([], []))[1].append(index)
            if maxx in cells.col_bounds[1:-1]:
                buckets.setdefault(("v", maxx), ([], []))[0].append(index)
        for (axis, _), (before, after) in buckets.items():
            for a in before:
                ba = items[a].geom.bounds
                for b in after:
                    bb = items[b].geom.bounds
                    lo, hi = (1, 3) if axis == "v" else (0, 2)  # the coordinate that runs along the border
                    if find(a) != find(b) and _overlap((ba[lo], ba[hi]), (bb[lo], bb[hi])) and \
                            items[a].geom.intersection(items[b].geom).length > 0:
                        parent[find(a)] = find(b)
        groups: dict[int, list[Piece]] = {}
        for index, piece in enumerate(items):
            groups.setdefault(find(index), []).append(piece)
        bottom = cells.row_bounds[i + 1]
        last = i == cells.n_rows - 1
        self.open, done = [], []
        for members in groups.values():
            piece = members[0] if len(members) == 1 else _union(members)
            if not last and piece.geom.bounds[3] == bottom:
                self.open.append(piece)
            else:
                done.append(piece)
        return done


def _union(members: list[Piece]) -> Piece:
    from shapely.ops import unary_union

    geom = unary_union([m.geom for m in members])
    return Piece(geom, sum(m.pixels for m in members), sum(m.prob_sum for m in members))


class PieceStore:
    """The store interface vectorise() reads, over finished pieces mapped to the grid's CRS coordinates."""

    def __init__(self, pieces: list[Piece], transform) -> None:
        self.pieces, self.transform = pieces, transform

    def components(self) -> Iterator[tuple[dict, float, int]]:
        from shapely.affinity import affine_transform
        from shapely.geometry import mapping

        t = self.transform
        matrix = [t.a, t.b, t.d, t.e, t.c, t.f]
        for piece in self.pieces:
            yield mapping(affine_transform(piece.geom, matrix)), piece.prob_sum / max(piece.pixels, 1), piece.pixels
