"""The tiled pipeline under memory pressure: batches shrink on an out-of-memory error and, at one tile, the run moves
to the CPU and still returns the answer of an unpressured run.

The GPU is stood in for by `PressuredSegmenter`: the real tiny ONNX segmenter, except that while it claims to be on
CUDA it runs each encoder call through a real ONNX Runtime session whose arena is capped (oom_source), so batches
above `fits` tiles fail with ONNX Runtime's own allocation error. The CUDA version of this test is
test_cuda_path.test_out_of_gpu_memory_finishes_on_the_cpu."""

from __future__ import annotations

import numpy as np

from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster

from .oom_source import ort_oom
from .test_batched_tiles import QUESTION, wide_raster  # noqa: F401 - the raster fixture


class PressuredSegmenter:
    def __init__(self, inner, limited_session, fits: int) -> None:
        self.inner, self.limited, self.fits = inner, limited_session, fits
        self.on_cuda = True
        self.batches: list[int] = []
        self.moves = 0

    def __getattr__(self, name):  # everything else is the real segmenter's
        return getattr(self.inner, name)

    def _pressure(self, tiles: int) -> None:
        self.batches.append(tiles)
        if self.on_cuda and tiles > self.fits:
            raise ort_oom(self.limited)

    def encode(self, image, is_cancelled=None):
        self._pressure(1)
        return self.inner.encode(image, is_cancelled)

    def encode_batch(self, images, is_cancelled=None):
        self._pressure(len(images))
        return self.inner.encode_batch(images, is_cancelled)

    def to_cpu(self) -> None:
        self.on_cuda = False
        self.moves += 1


def _run(segmenter, path, batch_size):
    with RasterioSource(path) as src:
        return segment_raster(src, segmenter, SegmentationRequest(QUESTION, mode="tiled"), batch_size=batch_size)


def test_batches_shrink_then_the_run_goes_on(tiny_onnx_segmenter, wide_raster, limited_session):  # noqa: F811
    reference = _run(tiny_onnx_segmenter, wide_raster, 1)
    pressured = PressuredSegmenter(tiny_onnx_segmenter, limited_session, fits=2)
    result = _run(pressured, wide_raster, 4)
    # 4 tiles (3 valid) fail; then 2 at a time: [t0, t1 (nodata)] encodes one, [t2, t3] two
    assert pressured.moves == 0 and pressured.batches == [3, 1, 2]
    assert np.array_equal(result.mask, reference.mask) and result.encoder_calls == reference.encoder_calls
    assert result.notes == []  # halving the batch is not worth a message


def test_one_tile_too_many_moves_to_the_cpu(tiny_onnx_segmenter, wide_raster, limited_session):  # noqa: F811
    reference = _run(tiny_onnx_segmenter, wide_raster, 1)
    pressured = PressuredSegmenter(tiny_onnx_segmenter, limited_session, fits=0)
    result = _run(pressured, wide_raster, 2)
    assert pressured.moves == 1 and not pressured.on_cuda
    assert np.array_equal(result.mask, reference.mask)
    assert len(result.notes) == 1 and "continuing on the CPU" in result.notes[0]  # the user is told
