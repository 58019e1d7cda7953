"""Synthetic GeoTIFFs for the geo tests, and a deterministic stand-in for the model's image -> logits step.

`BrightnessSegmenter` is NOT a model mock: the model is exercised end to end with the tiny random model elsewhere.
It answers "where is it bright?" with logits = (grey - 128) / 8, which lets geometry tests know exactly where the
answer must be on the map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segearth_engine.types import EncodedImage, MaskPrediction


def write_tif(path: Path, data: np.ndarray, crs: str | None = "EPSG:32633", transform=None, nodata=None,
              colorinterp=None, **extra) -> Path:
    """(bands, rows, cols) array -> GeoTIFF; default transform: 10 m pixels at (500000, 4000000)."""
    import rasterio
    from affine import Affine

    from segearth_engine.geo.crs import ensure_proj_data

    ensure_proj_data()
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    profile = {"driver": "GTiff", "count": data.shape[0], "height": data.shape[1], "width": data.shape[2],
               "dtype": data.dtype, "crs": crs, "nodata": nodata,
               "transform": transform if transform is not None else Affine(10, 0, 500000, 0, -10, 4000000), **extra}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        if colorinterp:
            ds.colorinterp = colorinterp
    return path


def square_scene(size: int = 256, box: tuple[int, int, int, int] = (64, 96, 64, 128), value: int = 230,
                 bands: int = 3, dtype=np.uint8) -> np.ndarray:
    """Dark scene (value 20) with one bright rectangle rows r0:r1, cols c0:c1 (box = r0, r1, c0, c1)."""
    r0, r1, c0, c1 = box
    data = np.full((bands, size, size), 20, dtype=dtype)
    data[:, r0:r1, c0:c1] = value
    return data


class BrightnessSegmenter:
    """The Segmenter protocol (segearth_engine.models.base) with a transparent rule: bright pixels are the answer."""

    image_size = 1024
    model_id = "brightness-rule"
    model_dir = Path("brightness-rule")
    device = "CPU (numpy)"
    backend = "numpy"
    llm_precision = "none"
    low_memory = False
    multi_target = False
    on_cuda = False
    llm_loads = 0

    def __init__(self) -> None:
        self.encoder_calls = 0
        self.seen_shapes: list[tuple[int, int]] = []

    def encode_batch(self, images, is_cancelled=None) -> list[EncodedImage]:
        return [self.encode(image, is_cancelled) for image in images]

    def segment_batch(self, encoded, question: str, task: str = "reasoning") -> list[MaskPrediction]:
        return [self.segment(e, question, task) for e in encoded]

    def feature_nbytes(self) -> int:
        return 0

    def to_cpu(self) -> None:
        pass

    def release(self) -> None:
        pass

    def encode(self, image: np.ndarray, is_cancelled=None) -> EncodedImage:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        self.encoder_calls += 1
        self.seen_shapes.append(image.shape[:2])
        return EncodedImage(tensors={"grey": image.mean(axis=2).astype(np.float32)}, letterbox=None, backend="numpy")

    def segment(self, encoded: EncodedImage, question: str, task: str = "reasoning") -> MaskPrediction:
        logits = (encoded.tensors["grey"] - 128.0) / 8.0
        return MaskPrediction(logits=logits, mask=logits > 0, timings={"llm": 0.0, "decoder": 0.0})
