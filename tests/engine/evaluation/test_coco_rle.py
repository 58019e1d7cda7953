"""COCO RLE decode/encode on masks whose run lengths and compressed strings are worked out by hand.

The two compressed strings below were also produced by pycocotools 2.0.7's `mask.encode` for the same masks
(checked once, outside the test suite, which does not depend on pycocotools).
"""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.evaluation import coco_rle


def _small_mask() -> np.ndarray:
    # 3 rows x 4 columns; read column by column: col0 000, col1 110, col2 000, col3 001
    mask = np.zeros((3, 4), np.uint8)
    mask[0, 1] = mask[1, 1] = mask[2, 3] = 1
    return mask


def test_small_mask_by_hand():
    mask = _small_mask()
    # column-major pixels 000 110 000 001 -> runs: 3 zeros, 2 ones, 6 zeros, 1 one
    assert coco_rle.counts_from_mask(mask) == [3, 2, 6, 1]
    # counts 0..2 are written as they are: chr(48+3) '3', chr(48+2) '2', chr(48+6) '6'; count 3 is written as its
    # difference to count 1: 1 - 2 = -1 -> 5-bit chunk 31 with the sign bit 0x10 set and nothing left -> chr(48+31)
    assert coco_rle.counts_to_string([3, 2, 6, 1]) == "326O"
    assert coco_rle.encode(mask) == {"size": [3, 4], "counts": "326O"}
    np.testing.assert_array_equal(coco_rle.decode({"size": [3, 4], "counts": "326O"}), mask)
    np.testing.assert_array_equal(coco_rle.decode({"size": [3, 4], "counts": b"326O"}), mask)
    np.testing.assert_array_equal(coco_rle.decode({"size": [3, 4], "counts": [3, 2, 6, 1]}), mask)  # uncompressed
    assert coco_rle.decode({"size": [3, 4], "counts": "326O"}).dtype == np.uint8


def test_box_mask_multi_chunk_numbers():
    box = np.zeros((100, 100), np.uint8)
    box[10:60, 20:90] = 1  # 50 rows x 70 columns
    # 20 empty columns and 10 rows: 2010 zeros; then per column 50 ones and 50 zeros (40 below + 10 above the next);
    # after the 70th column: 40 + 10 * 100 = 1040 zeros
    counts = [2010, *[50, 50] * 69, 50, 1040]
    assert coco_rle.counts_from_mask(box) == counts and sum(counts) == 100 * 100
    # 2010 = 26 + 30 * 32 + 1 * 1024 -> chunks 26 (more: +0x20 -> 'j'), 30 (more -> 'n'), 1 -> '1'
    # 50 = 18 + 1 * 32; 18 has the sign bit 0x10, so a chunk 1 follows: 'b', '1'
    # from count 3 on, the difference to count i-2 is 0 -> '0'; the last: 1040 - 50 = 990 = 30 + 30 * 32, and the
    # second chunk 30 has the sign bit set, so a zero chunk ends it: 'n', 'n', '0'
    expected = "jn1" + "b1" + "b1" + "0" * 137 + "nn0"
    assert coco_rle.counts_to_string(counts) == expected
    assert coco_rle.counts_from_string(expected) == counts
    np.testing.assert_array_equal(coco_rle.decode({"size": [100, 100], "counts": expected}), box)


def test_first_pixel_set_starts_with_an_empty_run():
    full = np.ones((2, 2), np.uint8)
    assert coco_rle.counts_from_mask(full) == [0, 4]
    assert coco_rle.encode(full)["counts"] == "04"
    np.testing.assert_array_equal(coco_rle.decode({"size": [2, 2], "counts": "04"}), full)


@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (33, 64), (0, 5)])
@pytest.mark.parametrize("density", [0.0, 0.05, 0.5, 1.0])
def test_round_trip(shape, density):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    mask = (rng.random(shape) < density).astype(np.uint8)
    rle = coco_rle.encode(mask)
    assert rle["size"] == list(shape)
    decoded = coco_rle.decode(rle)
    assert decoded.shape == shape
    np.testing.assert_array_equal(decoded, mask)


@pytest.mark.parametrize("rle, message", [
    ([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], "polygon"),
    ({"size": [3, 4], "counts": [3, 2, 6]}, "add up to 11 pixels"),
    ({"size": [3, 4], "counts": [3, -2, 10, 1]}, "negative"),
    ({"size": [3, 4], "counts": "j"}, "middle of a number"),
    ({"size": [3, 4], "counts": "32 6O"}, "invalid character"),
    ({"size": [3], "counts": "326O"}, "height, width"),
    ({"counts": "326O"}, "COCO RLE"),
])
def test_bad_rle_is_an_input_error(rle, message):
    with pytest.raises(InputError, match=message):
        coco_rle.decode(rle)
