"""COCO run-length encoded masks (the `mask` entries of LaSeRS annotations), without pycocotools.

Why our own: pycocotools is a compiled extension pinned to numpy builds; decoding RLE takes a few lines.
The format, as pycocotools defines it:
- `size` is [height, width]; the mask is read in column-major (Fortran) order;
- `counts` alternates run lengths of 0s and 1s, starting with 0s (a leading 0 when the first pixel is set);
- uncompressed RLE stores `counts` as a list of ints; compressed RLE as a string: each count (from the fourth on,
  minus the count two places before it) is written 5 bits at a time, least significant first, as chr(48 + c),
  with 0x20 marking "more chunks follow" and 0x10 the sign bit of the last chunk.
Polygons (lists of coordinates) are not RLE; LaSeRS does not use them and we reject them clearly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from segearth_engine.errors import InputError


def counts_from_string(text: str) -> list[int]:
    """Decodes the compressed `counts` string into run lengths."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(text):
                raise InputError(f"compressed RLE counts end in the middle of a number: {text[:40]!r}")
            chunk = ord(text[pos]) - 48
            if not 0 <= chunk < 64:
                raise InputError(f"compressed RLE counts hold an invalid character {text[pos]!r}")
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            pos += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift  # sign extension
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def counts_to_string(counts: Sequence[int]) -> str:
    """Run lengths -> the compressed `counts` string (pycocotools' encoding)."""
    chars: list[str] = []
    for i, count in enumerate(counts):
        value = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            chunk = value & 0x1F
            value >>= 5
            more = value != -1 if chunk & 0x10 else value != 0
            if more:
                chunk |= 0x20
            chars.append(chr(chunk + 48))
    return "".join(chars)


def counts_from_mask(mask: np.ndarray) -> list[int]:
    """Run lengths of a 2-D mask read column by column, starting with a run of 0s."""
    flat = np.asarray(mask).astype(bool).ravel(order="F")
    if flat.size == 0:
        return []
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def mask_from_counts(counts: Sequence[int], height: int, width: int) -> np.ndarray:
    """Run lengths -> uint8 mask [height, width] of 0/1."""
    values = np.asarray(counts, dtype=np.int64)
    if (values < 0).any():
        raise InputError("RLE counts must not be negative")
    if int(values.sum()) != height * width:
        raise InputError(f"RLE counts add up to {int(values.sum())} pixels, but size {height}x{width} "
                         f"has {height * width}")
    flat = np.repeat(np.arange(values.size) % 2, values).astype(np.uint8)
    return flat.reshape((height, width), order="F")


def encode(mask: np.ndarray) -> dict:
    """A 2-D mask -> compressed RLE {"size": [h, w], "counts": str}, as pycocotools writes it (bytes as str)."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise InputError(f"expected a 2-D mask, got shape {array.shape}")
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": counts_to_string(counts_from_mask(array))}


def decode(rle: dict) -> np.ndarray:
    """Compressed or uncompressed COCO RLE -> uint8 mask [h, w] of 0/1."""
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        kind = "a polygon" if isinstance(rle, list) else type(rle).__name__
        raise InputError(f"expected a COCO RLE object {{'size': [h, w], 'counts': ...}}, got {kind}")
    size = rle["size"]
    if not (isinstance(size, Sequence) and len(size) == 2 and all(int(v) >= 0 for v in size)):
        raise InputError(f"RLE size must be [height, width], got {size!r}")
    height, width = int(size[0]), int(size[1])
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    if isinstance(counts, str):
        counts = counts_from_string(counts)
    elif not isinstance(counts, Sequence):
        raise InputError(f"RLE counts must be a string or a list of ints, got {type(counts).__name__}")
    return mask_from_counts(counts, height, width)
