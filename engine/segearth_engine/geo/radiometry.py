"""From raster bands to the model's 8-bit RGB: band choice, one global stretch per request, validity mask.

Rules (documented for users in the CLI help):
- bands: the user's choice (1 band is replicated to grey, 3 bands are R,G,B); otherwise red/green/blue by colour
  interpretation; otherwise the first three bands; a 2-band raster uses band 1 as grey (band 2 is the alpha when
  its colour interpretation says so, else it is ignored: pass --bands to choose); a 1-band raster is grey.
- any band whose colour interpretation is "alpha" masks pixels where it is 0.
- 8-bit data is used as is; other types get ONE 2-98 % percentile stretch per band, computed once per request from a
  decimated read of the whole requested extent (never per tile, so tiles cannot disagree in brightness).
- pixels that are nodata, alpha 0 or outside the raster in ANY chosen band are invalid: fed as black, never segmented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.geo.source import RasterSource, Window

STRETCH_PERCENTILES = (2.0, 98.0)
STATS_SIDE = 1024  # long side of the decimated read the stretch is computed from


def choose_bands(source: RasterSource, bands: Sequence[int] | None) -> tuple[int, int, int]:
    """The three 1-based bands fed as R, G, B (see the module docstring for the rules)."""
    count = source.count
    if bands:
        chosen = tuple(int(b) for b in bands)
        bad = [b for b in chosen if not 1 <= b <= count]
        if bad:
            raise InputError(f"band(s) {', '.join(map(str, bad))} do not exist: the raster has {count} band(s)")
        if len(chosen) == 1:
            return chosen * 3  # type: ignore[return-value]
        if len(chosen) != 3:
            raise InputError(f"give 1 band (grey) or 3 bands (red,green,blue), not {len(chosen)}")
        return chosen  # type: ignore[return-value]
    names = [str(c).lower() for c in source.colorinterp]
    if all(c in names for c in ("red", "green", "blue")):
        return names.index("red") + 1, names.index("green") + 1, names.index("blue") + 1
    colour = [i + 1 for i, c in enumerate(names) if c != "alpha"] or [1]
    if len(colour) >= 3:
        return colour[0], colour[1], colour[2]
    return colour[0], colour[0], colour[0]


def alpha_band(source: RasterSource) -> int | None:
    names = [str(c).lower() for c in source.colorinterp]
    return names.index("alpha") + 1 if "alpha" in names else None


@dataclass(frozen=True)
class Radiometry:
    """How one request turns raster values into bytes: bands, alpha band and per-band (low, high) or None."""

    bands: tuple[int, int, int]
    alpha: int | None
    stretch: tuple[tuple[float, float], ...] | None

    def key(self) -> tuple:
        return (self.bands, self.alpha, self.stretch)

    def read_rgb(self, source: RasterSource, window: Window,
                 out_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(HxWx3 uint8 image, HxW bool valid) for one window; invalid pixels are black."""
        unique = list(dict.fromkeys(self.bands))
        wanted = unique + ([self.alpha] if self.alpha and self.alpha not in unique else [])
        block = source.read(wanted, window, out_shape)
        data, masked = np.ma.getdata(block), np.ma.getmaskarray(block)
        invalid = masked[: len(unique)].any(axis=0)
        if self.alpha:
            alpha = data[wanted.index(self.alpha)]
            invalid |= (alpha == 0) | masked[wanted.index(self.alpha)]
        planes = [data[unique.index(b)] for b in self.bands]
        rgb = np.empty((*invalid.shape, 3), dtype=np.uint8)
        for i, plane in enumerate(planes):
            rgb[..., i] = self._to_bytes(plane, i)
        rgb[invalid] = 0
        return rgb, ~invalid

    def _to_bytes(self, plane: np.ndarray, index: int) -> np.ndarray:
        if self.stretch is None:
            return plane.astype(np.uint8, copy=False)
        low, high = self.stretch[index]
        scaled = (plane.astype(np.float32) - np.float32(low)) * np.float32(255.0 / max(high - low, 1e-12))
        return np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255).round().astype(np.uint8)


def stats_shape(window: Window, side: int = STATS_SIDE) -> tuple[int, int]:
    scale = min(1.0, side / max(window.width, window.height))
    return max(1, round(window.height * scale)), max(1, round(window.width * scale))


def plan_radiometry(source: RasterSource, window: Window, bands: Sequence[int] | None) -> Radiometry:
    """Bands and the request's single stretch, from one decimated read of the extent; refuses an all-nodata extent."""
    chosen = choose_bands(source, bands)
    alpha = alpha_band(source)
    probe = Radiometry(chosen, alpha, None)
    unique = list(dict.fromkeys(chosen))
    wanted = unique + ([alpha] if alpha and alpha not in unique else [])
    block = source.read(wanted, window, stats_shape(window))
    data, masked = np.ma.getdata(block), np.ma.getmaskarray(block)
    invalid = masked[: len(unique)].any(axis=0)
    if alpha:
        invalid |= (data[wanted.index(alpha)] == 0) | masked[wanted.index(alpha)]
    if invalid.all():
        raise InputError("the extent holds no valid pixels (all nodata, transparent or outside the raster)")
    if np.dtype(source.dtype) == np.uint8:
        return probe
    stretch = []
    for band in chosen:
        values = data[unique.index(band)][~invalid].astype(np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise InputError(f"band {band} holds no finite values in the extent")
        low, high = np.percentile(values, STRETCH_PERCENTILES)
        if high <= low:
            low, high = float(values.min()), float(values.max())
        if high <= low:
            high = low + 1.0
        stretch.append((float(low), float(high)))
    return Radiometry(chosen, alpha, tuple(stretch))
