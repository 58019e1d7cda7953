"""Upstream's letterbox: cv2-exact resize, centred zero padding, ImageNet normalisation, and our inverse."""

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.models.r1.preprocess import (
    PIXEL_MEAN,
    PIXEL_STD,
    letterbox_geometry,
    prepare_image,
    resize_linear_u8,
    unletterbox,
)

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless is installed by make setup for this comparison")


@pytest.mark.parametrize("shape", [(700, 1000), (352, 349), (403, 515), (123, 200), (1500, 2000), (50, 37),
                                   (1000, 999), (2048, 1024), (17, 1000)])
def test_resize_is_bit_exact_with_opencv(shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    box = letterbox_geometry(*shape, 1024)
    expected = cv2.resize(image, (box.new_width, box.new_height), interpolation=cv2.INTER_LINEAR)
    got = resize_linear_u8(image, box.new_width, box.new_height)
    assert np.array_equal(got, expected), f"{(got != expected).sum()} pixels differ"


def test_letterbox_truncates_and_centres_like_upstream():
    box = letterbox_geometry(700, 1000, 1024)
    assert (box.new_height, box.new_width, box.top, box.left) == (716, 1024, 154, 0)


def test_padding_becomes_minus_mean_over_std():
    image = np.full((700, 1000, 3), 255, dtype=np.uint8)
    pixels, box = prepare_image(image, 1024)
    assert pixels.shape == (1, 3, 1024, 1024) and pixels.dtype == np.float32
    np.testing.assert_allclose(pixels[0, :, 0, 0], -PIXEL_MEAN / PIXEL_STD, rtol=1e-6)
    np.testing.assert_allclose(pixels[0, :, box.top + 1, 5], (255 - PIXEL_MEAN) / PIXEL_STD, rtol=1e-6)
    assert np.allclose(pixels[0, :, box.top - 1, 5], -PIXEL_MEAN / PIXEL_STD)


def test_unletterbox_crops_padding_and_restores_size():
    box = letterbox_geometry(70, 100, 64)  # content rows 10..54 of the canvas
    canvas = np.full((64, 64), -5.0, dtype=np.float32)
    canvas[box.top:box.top + box.new_height, :32] = 5.0  # left half of the content is foreground
    logits, mask = unletterbox(canvas, box)
    assert logits.shape == mask.shape == (70, 100)
    assert mask[:, :48].all() and not mask[:, 52:].any()
    assert logits[:, :45].min() == pytest.approx(5.0) and logits[:, 55:].max() == pytest.approx(-5.0)


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8),
                                 np.zeros((10, 10, 3), np.uint16)])
def test_non_rgb_input_is_refused(bad):
    with pytest.raises(InputError):
        prepare_image(bad, 64)
