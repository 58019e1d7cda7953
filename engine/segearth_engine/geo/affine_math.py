"""Affine transforms applied and chained with their six coefficients.

Why not `transform * (x, y)`: affine 3 (numpy-2 era installs: QGIS 3.40+ on Windows/macOS, Debian 13) warns on `*`
(PendingDeprecationWarning, `@` wanted), while affine 2.x (Debian 12, QGIS 3.22) has no `@`. The coefficients read
the same in both, and broadcast over numpy arrays.
"""

from __future__ import annotations

from typing import Any


def apply(transform: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """(x, y) of the point (x, y) mapped by `transform` (pixel -> map, or map -> pixel with `~transform`)."""
    a, b, c, d, e, f = tuple(transform)[:6]
    return a * x + b * y + c, d * x + e * y + f


def compose(*transforms: Any):
    """`t1 @ t2 @ ...` (t2 applied first), as an affine.Affine."""
    from affine import Affine

    a, b, c, d, e, f = tuple(transforms[0])[:6]
    for other in transforms[1:]:
        oa, ob, oc, od, oe, of = tuple(other)[:6]
        a, b, c, d, e, f = (a * oa + b * od, a * ob + b * oe, a * oc + b * of + c,
                            d * oa + e * od, d * ob + e * oe, d * oc + e * of + f)
    return Affine(a, b, c, d, e, f)


def grid_bounds(transform: Any, height: int, width: int) -> tuple[float, float, float, float]:
    """minx, miny, maxx, maxy of a height x width pixel grid (rotated transforms included)."""
    corners = [apply(transform, col, row) for col in (0, width) for row in (0, height)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)
