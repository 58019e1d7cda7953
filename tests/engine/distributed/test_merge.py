"""Per-cell blending and border merging against the single-process stitcher, without a model or a cluster.

Tile logits here are smooth fields plus tile-specific noise (so overlaps disagree, as real tiles do); both paths get
the same tiles, so the polygons must be the same.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from segearth_engine.distributed.merge import FAILED, BorderMerger, Cells, PieceStore, cell_bounds
from segearth_engine.geo.source import Window
from segearth_engine.geo.store import MemoryStore
from segearth_engine.geo.tiling import StripStitcher, TileLayout, make_grid
from segearth_engine.geo.vectorize import vectorise

CRS = "EPSG:32633"


def _tiles(layout, seed):
    rng = np.random.default_rng(seed)
    height, width = layout.grid.height, layout.grid.width
    yy, xx = np.mgrid[0:height, 0:width]
    field = (np.sin(xx / 9.0) * np.cos(yy / 7.0) + 0.2).astype(np.float32)
    out = {}
    for tile in layout:
        rows, cols = slice(tile.row0, tile.row0 + tile.height), slice(tile.col0, tile.col0 + tile.width)
        logits = field[rows, cols] + rng.normal(0, 0.3, (tile.height, tile.width)).astype(np.float32)
        valid = np.ones((tile.height, tile.width), dtype=bool)
        valid[:3, :5] = False  # a little nodata, overwritten differently by neighbours (last tile wins)
        out[(tile.row, tile.col)] = (logits, valid)
    return out


def _single(layout, tiles):
    store = MemoryStore(layout.grid.height, layout.grid.width, layout.grid.transform)
    stitcher = StripStitcher(layout, store.write_rows)
    for tile in layout:
        stitcher.add(tile, *tiles[(tile.row, tile.col)])
    stitcher.finish()
    return store, vectorise(store, CRS, {"question": "q"})


def _cells(layout, tiles, failed=()):
    cells = Cells(layout)
    merger = BorderMerger(cells)
    finals, mask = [], np.zeros((layout.grid.height, layout.grid.width), dtype=np.uint8)

    def load(row, col):
        return FAILED if (row, col) in failed else tiles[(row, col)]

    for i in range(cells.n_rows):
        border = []
        for j in range(cells.n_cols):
            logits, valid = cells.blend(i, j, load)
            rb, cb = cells.row_bounds, cells.col_bounds
            mask[rb[i]:rb[i + 1], cb[j]:cb[j + 1]] = np.where(valid, logits > 0, 255)
            for piece, touches in cells.pieces(i, j, logits, valid):
                (border if touches else finals).append(piece)
        finals += merger.add_row(i, border)
    assert not merger.open
    return mask, vectorise(PieceStore(finals, layout.grid.transform), CRS, {"question": "q"})


def _layout(height, width, tile, overlap):
    grid = make_grid(Affine(2.0, 0, 500000, 0, -2.0, 4000000), Window(0, 0, width, height), width, height)
    return TileLayout(grid, tile, overlap)


def _same(a, b):
    assert len(a) == len(b)
    key = lambda f: (f[1]["pixels"], f[0].bounds)  # noqa: E731
    for (ga, aa), (gb, ab) in zip(sorted(a, key=key), sorted(b, key=key), strict=True):
        assert ga.bounds == gb.bounds and ga.symmetric_difference(gb).area == pytest.approx(0.0, abs=1e-6)
        assert aa["pixels"] == ab["pixels"] and aa["area_m2"] == pytest.approx(ab["area_m2"], rel=1e-9)
        assert aa["mean_prob"] == pytest.approx(ab["mean_prob"], abs=2e-4)


@pytest.mark.parametrize(("height", "width", "tile", "overlap"),
                         [(150, 230, 64, 16), (97, 200, 40, 20), (64, 64, 64, 0)])
def test_cells_give_the_single_process_polygons(height, width, tile, overlap):
    layout = _layout(height, width, tile, overlap)
    tiles = _tiles(layout, seed=height)
    store, expected = _single(layout, tiles)
    mask, got = _cells(layout, tiles)
    np.testing.assert_array_equal(mask, store.mask)  # bit-identical blend, hence the same mask
    cells = Cells(layout)
    if cells.n_rows > 1 and cells.n_cols > 1:  # some region really was merged across both kinds of border
        inner_x = [cells.col_bounds[1] * 2.0 + 500000]
        inner_y = [4000000 - cells.row_bounds[1] * 2.0]
        assert any(g.bounds[0] < inner_x[0] < g.bounds[2] for g, _ in expected)
        assert any(g.bounds[1] < inner_y[0] < g.bounds[3] for g, _ in expected)
    _same(got, expected)


def test_a_failed_tile_leaves_only_its_own_area_empty():
    layout = _layout(150, 230, 64, 16)
    tiles = _tiles(layout, seed=5)
    mask, _ = _cells(layout, tiles, failed={(1, 1)})
    only = np.zeros_like(mask, dtype=int)
    for tile in layout:
        if (tile.row, tile.col) != (1, 1):
            only[tile.row0:tile.row0 + tile.height, tile.col0:tile.col0 + tile.width] += 1
    assert (mask[only == 0] == 255).all() and (only == 0).any()  # uncovered by any good tile: nodata
    assert (mask[only > 0] != 255).mean() > 0.99  # everything else still answered


def test_cell_bounds_split_each_overlap_in_the_middle():
    assert cell_bounds([0, 100, 200], 128, 328) == [0, 114, 214, 328]
    assert cell_bounds([0], 50, 50) == [0, 50]
