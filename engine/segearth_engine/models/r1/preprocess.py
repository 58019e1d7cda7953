"""Upstream's image preparation and its inverse, in numpy.

Upstream resizes with OpenCV's uint8 INTER_LINEAR, whose fixed-point arithmetic differs from PIL's or an antialiased
resize by one grey level in places. `resize_linear_u8` reproduces it bit for bit (checked against cv2 in the tests),
so the engine does not need OpenCV at run time.
"""

from __future__ import annotations

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.types import Letterbox

PIXEL_MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
PIXEL_STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
_COEF_SCALE = np.float32(2048)  # OpenCV's INTER_RESIZE_COEF_SCALE (11 fractional bits)


def _taps(src: int, dst: int, clamp_weights: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and fixed-point weights of OpenCV's linear resize along one axis.

    OpenCV clamps the horizontal weights at the borders but only the row indices vertically; both behaviours are
    needed for identical output.
    """
    pos = ((np.arange(dst) + 0.5) * (src / dst) - 0.5).astype(np.float32)
    first = np.floor(pos).astype(np.int64)
    frac = (pos - first.astype(np.float32)).astype(np.float32)
    if clamp_weights:
        low, high = first < 0, first >= src - 1
        frac[low | high] = 0
        first[low] = 0
        first[high] = src - 1
    w0 = np.rint((np.float32(1) - frac) * _COEF_SCALE).astype(np.int32)
    w1 = np.rint(frac * _COEF_SCALE).astype(np.int32)
    return np.clip(first, 0, src - 1), np.clip(first + 1, 0, src - 1), w0, w1


def resize_linear_u8(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR) for uint8 HxWxC images."""
    if image.dtype != np.uint8 or image.ndim != 3:
        raise InputError(f"expected an HxWxC uint8 image, got {image.dtype} of shape {image.shape}")
    src_h, src_w = image.shape[:2]
    if (src_h, src_w) == (height, width):
        return image.copy()
    x0, x1, a0, a1 = _taps(src_w, width, clamp_weights=True)
    y0, y1, b0, b1 = _taps(src_h, height, clamp_weights=False)
    pixels = image.astype(np.int32)
    rows = pixels[:, x0] * a0[None, :, None] + pixels[:, x1] * a1[None, :, None]
    # OpenCV's SIMD vertical pass: drop 4 bits, multiply-high by the 16-bit weights, round off the last 2 bits.
    out = ((b0[:, None, None] * (rows[y0] >> 4)) >> 16) + ((b1[:, None, None] * (rows[y1] >> 4)) >> 16)
    return np.clip((out + 2) >> 2, 0, 255).astype(np.uint8)


def letterbox_geometry(height: int, width: int, size: int) -> Letterbox:
    """Long side to `size` (short side truncated, as upstream's int()), centred padding."""
    if height < 1 or width < 1:
        raise InputError(f"image of size {width}x{height} is empty")
    scale = size / max(height, width)
    new_h = size if height >= width else int(height * scale)
    new_w = size if width >= height else int(width * scale)
    new_h, new_w = max(new_h, 1), max(new_w, 1)
    return Letterbox(height, width, new_h, new_w, (size - new_h) // 2, (size - new_w) // 2, size)


def prepare_image(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 HxWx3 -> normalised float32 [1,3,size,size] and the letterbox to undo it."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"expected an RGB image of shape HxWx3, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise InputError(f"expected 8-bit RGB, got {image.dtype}; stretch the data to 0-255 first")
    box = letterbox_geometry(image.shape[0], image.shape[1], size)
    resized = resize_linear_u8(image, box.new_width, box.new_height)
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[box.top:box.top + box.new_height, box.left:box.left + box.new_width] = resized
    normalised = (canvas.astype(np.float32) - PIXEL_MEAN) / PIXEL_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None]), box


def _resize_axis_linear(values: np.ndarray, out_len: int, axis: int) -> np.ndarray:
    """Half-pixel-centred linear resampling along one axis (align_corners=False semantics, no antialiasing)."""
    in_len = values.shape[axis]
    pos = np.clip((np.arange(out_len) + 0.5) * (in_len / out_len) - 0.5, 0, in_len - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, in_len - 1)
    frac = (pos - lo).astype(np.float32)
    shape = [1] * values.ndim
    shape[axis] = out_len
    frac = frac.reshape(shape)
    return np.take(values, lo, axis=axis) * (1 - frac) + np.take(values, hi, axis=axis) * frac


def unletterbox(canvas_logits: np.ndarray, box: Letterbox) -> tuple[np.ndarray, np.ndarray]:
    """Crop the padding off [size,size] canvas logits and bring them back to the input image's size.

    Returns (logits, mask): logits resampled linearly for blending, and upstream's decision (logit > 0 on the
    canvas) resized with nearest neighbour, which upstream itself never does (it scores on the padded canvas).
    """
    crop = canvas_logits[box.top:box.top + box.new_height, box.left:box.left + box.new_width]
    rows = np.minimum(((np.arange(box.height) + 0.5) * box.new_height / box.height).astype(np.int64),
                      box.new_height - 1)
    cols = np.minimum(((np.arange(box.width) + 0.5) * box.new_width / box.width).astype(np.int64),
                      box.new_width - 1)
    mask = (crop > 0)[rows][:, cols]
    logits = _resize_axis_linear(_resize_axis_linear(crop, box.height, 0), box.width, 1).astype(np.float32)
    return logits, mask
