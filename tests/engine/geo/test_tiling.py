"""Tile layouts cover everything, blending weights sum to 1, and stitching leaves no seam."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from scipy import ndimage

from segearth_engine.geo.source import Window
from segearth_engine.geo.store import MemoryStore
from segearth_engine.geo.tiling import StripStitcher, TileLayout, axis_weights, make_grid, tile_starts


@pytest.mark.parametrize("length,tile,overlap", [(1024, 1024, 128), (1025, 1024, 128), (3000, 1024, 128),
                                                 (2048, 1024, 0), (5000, 1024, 512), (300, 100, 10)])
def test_tiles_cover_the_axis_with_at_least_the_overlap(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + tile == length
    covered = np.zeros(length, dtype=int)
    for s in starts:
        covered[s:s + tile] += 1
    assert covered.min() >= 1
    for a, b in zip(starts, starts[1:], strict=False):
        assert a + tile - b >= overlap  # shared pixels


@pytest.mark.parametrize("length,tile,overlap", [(3000, 1024, 128), (1100, 1024, 128), (2100, 1024, 300)])
def test_weights_are_a_partition_of_unity(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    total = np.zeros(length)
    for s, w in zip(starts, axis_weights(length, starts, tile, overlap), strict=True):
        total[s:s + tile] += w
        assert w[0] < 0.01 or s == 0  # a tile's own inner edge hardly counts
    np.testing.assert_allclose(total, 1.0, atol=1e-5)


def _stitch(field: np.ndarray, tile: int, overlap: int, per_tile) -> MemoryStore:
    height, width = field.shape
    grid = make_grid(Affine(1, 0, 0, 0, -1, height), Window(0, 0, width, height), width, height)
    layout = TileLayout(grid, tile, overlap)
    store = MemoryStore(height, width, grid.transform)
    stitcher = StripStitcher(layout, store.write_rows)
    for t in layout:
        rows, cols = slice(t.row0, t.row0 + t.height), slice(t.col0, t.col0 + t.width)
        stitcher.add(t, per_tile(t, field[rows, cols]), np.ones((t.height, t.width), bool))
    stitcher.finish()
    return store


def test_identical_tile_logits_stitch_back_exactly():
    yy, xx = np.mgrid[0:700, 0:900]
    field = ((60.0 - np.hypot(yy - 350, xx - 450)) / 40).astype(np.float32)  # a disc across tile edges
    store = _stitch(field, 256, 64, lambda t, block: block)
    np.testing.assert_allclose(np.log(store.probability / (1 - store.probability)), field, atol=2e-3)
    assert (store.mask == (field > 0)).all()


def test_object_across_tile_edges_is_one_polygon_despite_disagreeing_tiles():
    yy, xx = np.mgrid[0:600, 0:600]
    field = np.where((abs(yy - 300) < 40) & (abs(xx - 300) < 200), 4.0, -4.0).astype(np.float32)  # a bar
    rng = np.random.default_rng(0)

    def disagreeing(tile, block):  # each tile biased differently, and worse towards its edges like a real model
        bias = rng.uniform(-2, 2)
        cols = np.arange(tile.width)
        inner_edge = ((cols < 16) & (tile.col0 > 0)) | ((cols >= tile.width - 16) & (tile.col0 + tile.width < 600))
        edge_noise = np.where(inner_edge, rng.normal(0, 6, size=tile.width), 0.0)
        return block + bias + edge_noise[None, :].astype(np.float32)

    store = _stitch(field, 200, 64, disagreeing)
    labels, _ = ndimage.label(store.mask == 1)
    core = labels[262:338, 102:498]  # the bar, 2 px in from its sides, crossing three tile edges
    assert core.min() > 0 and len(np.unique(core)) == 1
    big = [pixels for _, _, pixels in store.components() if pixels > 1000]  # (noise specks aside)
    assert big == [pytest.approx(80 * 400, rel=0.05)]


def test_stitcher_holds_a_strip_not_the_whole_grid():
    height, width = 5000, 300
    grid = make_grid(Affine(1, 0, 0, 0, -1, 0), Window(0, 0, width, height), width, height)
    layout = TileLayout(grid, 256, 32)
    rows_seen = []
    stitcher = StripStitcher(layout, lambda row0, logits, valid: rows_seen.append((row0, logits.shape[0])))
    assert stitcher._logits.shape == (256, width)  # one tile row of strip, whatever the height
    for t in layout:
        stitcher.add(t, np.ones((t.height, t.width), np.float32), np.ones((t.height, t.width), bool))
    stitcher.finish()
    assert rows_seen[0][0] == 0 and sum(n for _, n in rows_seen) == height
    assert all(a + n == b for (a, n), (b, _) in zip(rows_seen, rows_seen[1:], strict=False))
