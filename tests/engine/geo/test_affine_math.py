"""The coefficient forms give what affine's operators give, without the warning affine 3 attaches to `*`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from affine import Affine

from segearth_engine.geo.affine_math import apply, compose, grid_bounds

ROTATED = Affine(10.0, 2.0, 500_000.0, 1.5, -10.0, 4_200_000.0)


def _mul(left, right):
    """affine's own product, its warning (affine 3) silenced: the reference the coefficient forms must match."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return left * right


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_apply_matches_affine_on_points_and_arrays():
    for point in ((0, 0), (3, 7), (-2.5, 1e6)):
        assert apply(ROTATED, *point) == pytest.approx(_mul(ROTATED, point))
        assert apply(~ROTATED, *apply(ROTATED, *point)) == pytest.approx(point)
    cols, rows = np.arange(5.0), np.arange(5.0) * 2
    xs, ys = apply(ROTATED, cols, rows)
    assert xs == pytest.approx([_mul(ROTATED, (c, r))[0] for c, r in zip(cols, rows, strict=True)])
    assert ys == pytest.approx([_mul(ROTATED, (c, r))[1] for c, r in zip(cols, rows, strict=True)])


def test_compose_is_affine_product_in_order():
    shift, scale = Affine.translation(12, 34), Affine.scale(0.5, 2)
    chained = compose(ROTATED, shift, scale)
    assert isinstance(chained, Affine)
    assert tuple(chained) == pytest.approx(tuple(_mul(_mul(ROTATED, shift), scale)))
    assert tuple(compose(scale, shift)) != pytest.approx(tuple(compose(shift, scale)))  # order matters


def test_grid_bounds_covers_all_corners_of_a_rotated_grid():
    minx, miny, maxx, maxy = grid_bounds(ROTATED, 20, 30)
    corners = [_mul(ROTATED, (c, r)) for c in (0, 30) for r in (0, 20)]
    assert (minx, maxx) == (min(x for x, _ in corners), max(x for x, _ in corners))
    assert (miny, maxy) == (min(y for _, y in corners), max(y for _, y in corners))
