"""SegEarth-R2's two image preparations, as upstream's evaluation does them (datasets/dataset.py, eval/eval.py).

- Mask branch (Swin-B): PIL bilinear resize so the long side is 1024 (ResizeShortestEdge(1024, max 1024), sizes
  rounded with int(x + 0.5)), pad right/bottom with grey 128 to 1024x1024, then ImageNet mean/std on 0-255 values.
  Unlike R1 (cv2 resize, centred zero pad), the image sits in the top-left corner.
- LLM branch (SigLIP): `SiglipImageProcessor`: PIL bicubic resize of the uint8 image to 384x384 (aspect not kept),
  then /255 and (x - 0.5) / 0.5.
"""

from __future__ import annotations

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.models.r1.preprocess import PIXEL_MEAN, PIXEL_STD
from segearth_engine.types import Letterbox


def _check(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"expected an RGB image of shape HxWx3, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise InputError(f"expected 8-bit RGB, got {image.dtype}; stretch the data to 0-255 first")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InputError("the image is empty")


def resize_geometry(height: int, width: int, size: int) -> Letterbox:
    """upstream's ResizeShortestEdge(size, max_size=size) sizes; the padding goes right/bottom (top = left = 0)."""
    scale = size / min(height, width)
    new_h, new_w = (size, scale * width) if height < width else (scale * height, size)
    if max(new_h, new_w) > size:
        shrink = size / max(new_h, new_w)
        new_h, new_w = new_h * shrink, new_w * shrink
    new_h, new_w = max(1, int(new_h + 0.5)), max(1, int(new_w + 0.5))
    return Letterbox(height, width, new_h, new_w, 0, 0, size)


def prepare_mask_image(image: np.ndarray, size: int, pad_value: float = 128.0) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 HxWx3 -> normalised float32 [1, 3, size, size] for Swin-B, and the geometry to undo it."""
    from PIL import Image

    _check(image)
    box = resize_geometry(image.shape[0], image.shape[1], size)
    resized = np.asarray(Image.fromarray(image).resize((box.new_width, box.new_height), resample=Image.BILINEAR))
    canvas = np.full((size, size, 3), pad_value, dtype=np.float32)
    canvas[:box.new_height, :box.new_width] = resized
    normalised = (canvas - PIXEL_MEAN) / PIXEL_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None]), box


def prepare_clip_image(image: np.ndarray, size: int) -> np.ndarray:
    """RGB uint8 HxWx3 -> SigLIP pixel values float32 [1, 3, size, size]."""
    from PIL import Image

    _check(image)
    resized = np.asarray(Image.fromarray(image).resize((size, size), resample=Image.BICUBIC), dtype=np.float32)
    normalised = (resized / 255.0 - 0.5) / 0.5
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None].astype(np.float32))
