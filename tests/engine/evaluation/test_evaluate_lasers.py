"""LaSeRS-style scoring as SegEarth-R2's eval code does it: hand-computed scores with several masks per answer,
upstream's matching by position, the ground truth on the canvas, the annotation layout and its errors.
(`segearth eval` end to end with the tiny R2 model: tests/engine/r2/test_r2_eval_lasers.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.evaluation import coco_rle
from segearth_engine.evaluation.lasers import (
    LaSeRSScores,
    find_lasers_split,
    gt_on_canvas,
    lasers_subsets,
    pair_masks,
)


def _mask(shape, *cells):
    mask = np.zeros(shape, bool)
    for r, c in cells:
        mask[r, c] = True
    return mask


def test_scores_on_hand_made_answers():
    scores = LaSeRSScores()
    row0 = _mask((4, 4), *[(0, c) for c in range(4)])
    block = _mask((4, 4), (0, 2), (0, 3), (1, 2), (1, 3))
    # single: one target; I = 2 (row 0, cols 2-3), U = 6 -> 1/3
    assert scores.add("single", [block], [row0]) == pytest.approx([1 / 3])
    col0, col3 = _mask((4, 4), *[(r, 0) for r in range(4)]), _mask((4, 4), *[(r, 3) for r in range(4)])
    cols01 = col0 | _mask((4, 4), *[(r, 1) for r in range(4)])
    # multiple, two targets but one predicted mask: it is repeated. (cols01, col0): I 4, U 8; (cols01, col3): I 0, U 12
    assert scores.add("multiple", [cols01], [col0, col3]) == pytest.approx([0.5, 0.0])
    # two targets, three predictions: the third is dropped. (empty, empty): U 0 -> 1.0; ({00,01}, {00}): I 1, U 2
    empty, corner, pair = np.zeros((4, 4), bool), _mask((4, 4), (0, 0)), _mask((4, 4), (0, 0), (0, 1))
    assert scores.add("multiple", [empty, pair, row0], [empty, corner]) == pytest.approx([1.0, 0.5])
    # no [SEG] generated: empty predictions; (empty, 2x2 block): I 0, U 4
    assert scores.add("multiple", [], [_mask((4, 4), (2, 2), (2, 3), (3, 2), (3, 3))]) == [0.0]

    summary = scores.summary()
    single, multiple, pooled = summary["subsets"]["single"], summary["subsets"]["multiple"], summary["all"]
    assert (single["questions"], single["masks"], multiple["questions"], multiple["masks"]) == (1, 1, 3, 5)
    assert single["gIoU"] == pytest.approx(1 / 3) and single["cIoU"] == pytest.approx(2 / 6)
    # multiple: gIoU = (0.5 + 0 + 1 + 0.5 + 0) / 5 masks = 0.4; cIoU = (4 + 0 + 0 + 1 + 0) / (8 + 12 + 0 + 2 + 4)
    assert multiple["gIoU"] == pytest.approx(2.0 / 5) and multiple["cIoU"] == pytest.approx(5 / 26)
    # pooled over 6 masks: (1/3 + 2.0) / 6 = 7/18; cIoU (2 + 5) / (6 + 26)
    assert (pooled["questions"], pooled["masks"]) == (4, 6)
    assert pooled["gIoU"] == pytest.approx(7 / 18) and pooled["cIoU"] == pytest.approx(7 / 32)
    assert summary["subset_mean"]["gIoU"] == pytest.approx((1 / 3 + 0.4) / 2)
    assert summary["subset_mean"]["cIoU"] == pytest.approx((1 / 3 + 5 / 26) / 2)
    assert multiple["Pr@0.5"] == pytest.approx(1 / 5)  # only the empty/empty pair has IoU > 0.5


def test_pairing_by_position():
    a, b, c = (np.full((2, 2), v) for v in (1, 2, 3))
    assert [p[0, 0] for p in pair_masks([a, b, c], 2, (2, 2))] == [1, 2]
    assert [p[0, 0] for p in pair_masks([a, b], 4, (2, 2))] == [1, 2, 2, 2]
    none = pair_masks([], 2, (3, 3))
    assert len(none) == 2 and all(p.shape == (3, 3) and not p.any() for p in none)


def test_gt_on_canvas_is_bilinear_on_uint8_then_positive():
    from segearth_engine.models.r1.preprocess import letterbox_geometry
    from segearth_engine.models.r2.preprocess import resize_geometry

    gt = np.zeros((2, 4), np.uint8)
    gt[:, 1] = 1
    box = resize_geometry(2, 4, 8)  # R2: long side to 8 -> 4x8, top-left
    assert (box.new_height, box.new_width, box.top, box.left) == (4, 8, 0, 0)
    # columns 4 -> 8, align_corners=False: source x = (j + 0.5) / 2 - 0.5 -> j=1: 0.75*in0 + 0.25*in1 = 0.25 -> 0;
    # j=2: 0.25*in0 + 0.75*in1 = 0.75 -> 1; j=3: 0.75*in1 + 0.25*in2 -> 1; j=4: 0.25*in1 -> 0. On the uint8 tensor
    # the weights round, so 0.25 is 0 (float bilinear > 0 would also keep columns 1 and 4). Rows: all alike.
    expected = np.zeros((8, 8), bool)
    expected[0:4, 2:4] = True
    np.testing.assert_array_equal(gt_on_canvas(gt, box), expected)
    centred = letterbox_geometry(2, 4, 8)  # R1's centred letterbox: the same block, 2 rows down
    np.testing.assert_array_equal(gt_on_canvas(gt, centred), np.roll(expected, centred.top, axis=0))
    same = resize_geometry(5, 5, 5)  # no resize: the mask itself
    rng = np.random.default_rng(0)
    square = (rng.random((5, 5)) > 0.5).astype(np.uint8)
    np.testing.assert_array_equal(gt_on_canvas(square, same), square.astype(bool))
    with pytest.raises(InputError, match="a mask of size 3x4 on an image of 2x4"):
        gt_on_canvas(np.zeros((3, 4), np.uint8), box)


def make_lasers_dataset(root: Path, split: str = "test") -> Path:
    """Two annotation files over three small images: one answer with one [SEG], two with two."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(5)
    folder = root / split
    (folder / "images").mkdir(parents=True)
    (folder / "annotations").mkdir()
    shapes = {"a.png": (48, 48), "b.png": (48, 48), "c.png": (40, 64)}
    for name, shape in shapes.items():
        cv2.imwrite(str(folder / "images" / name), rng.integers(0, 255, (*shape, 3), np.uint8))

    def box(name, top, left, h, w):
        mask = np.zeros(shapes[name], np.uint8)
        mask[top:top + h, left:left + w] = 1
        return mask

    single = [{"id": "s1", "image_name": "a.png", "description": "  Where is the pier?  ",
               "answer": "The pier [SEG].", "mask": [coco_rle.encode(box("a.png", 5, 5, 10, 20)),
                                                   coco_rle.encode(box("a.png", 0, 0, 2, 2))]}]  # extra: ignored
    tank = box("b.png", 30, 30, 8, 8)
    multiple = [
        {"id": "m1", "image_name": "b.png", "description": "the tanks and the pier",
         "answer": "tanks [SEG] and the pier [SEG]",
         "mask": [{"size": [48, 48], "counts": coco_rle.counts_from_mask(tank)},  # uncompressed counts
                  coco_rle.encode(box("b.png", 0, 10, 4, 30))]},
        {"id": "m2", "image_name": "c.png", "description": "runway and taxiways",
         "answer": "the runway [SEG], the taxiways [SEG]",
         "mask": [coco_rle.encode(box("c.png", 10, 0, 6, 64)), coco_rle.encode(box("c.png", 20, 10, 12, 5))]},
    ]
    (folder / "annotations" / "single.json").write_text(json.dumps(single), encoding="utf-8")
    (folder / "annotations" / "multiple.json").write_text(json.dumps(multiple), encoding="utf-8")
    return root


def test_layout_and_ground_truth(tmp_path):
    root = make_lasers_dataset(tmp_path / "data")
    subsets = lasers_subsets(root, "test")
    assert list(subsets) == ["multiple", "single"]  # annotation files, sorted
    (s1,) = subsets["single"]
    assert (s1.id, s1.question, s1.image.name, s1.mask_count) == ("s1", "Where is the pier?", "a.png", 1)
    m1, m2 = subsets["multiple"]
    assert (m1.mask_count, m2.mask_count) == (2, 2)
    tank, pier = m1.masks()
    assert tank.shape == (48, 48) and tank.sum() == 64 and tank[30:38, 30:38].all()
    assert pier.sum() == 4 * 30 and pier[0:4, 10:40].all()
    assert m2.masks()[0].shape == (40, 64)
    # upstream's folder layout is found too; missing folders name both layouts' expectations
    upstream = tmp_path / "up" / "rs_reason_seg" / "LaSeRS"
    upstream.mkdir(parents=True)
    (root / "test").rename(upstream / "test")
    assert find_lasers_split(tmp_path / "up", "test") == upstream / "test"
    with pytest.raises(InputError, match="annotations"):
        lasers_subsets(tmp_path / "up", "val")


@pytest.mark.parametrize("changes, message", [
    ({"answer": "no target here"}, "has no \\[SEG\\]"),
    ({"answer": "[SEG] [SEG] [SEG]"}, "3 \\[SEG\\] but only 2 masks"),
    ({"image_name": "missing.png"}, "not found"),
    ({"mask": [[[1, 2, 3, 4, 5, 6]]]}, "COCO RLE objects"),
    ({"description": None}, "entry 0: missing description"),  # None: the key is removed
])
def test_bad_annotations_are_input_errors(tmp_path, changes, message):
    root = make_lasers_dataset(tmp_path)
    path = root / "test" / "annotations" / "single.json"
    entries = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            del entries[0][key]
        else:
            entries[0][key] = value
    path.write_text(json.dumps(entries))
    with pytest.raises(InputError, match=message):
        lasers_subsets(root, "test")


def test_unreadable_annotation_file(tmp_path):
    root = make_lasers_dataset(tmp_path)
    (root / "test" / "annotations" / "single.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot be read as JSON"):
        lasers_subsets(root, "test")
    (root / "test" / "annotations" / "single.json").write_text('{"a": 1}')
    with pytest.raises(InputError, match="expected a list"):
        lasers_subsets(root, "test")


def test_format_detection(tmp_path):
    from segearth_engine.commands.evaluate import detect_format

    assert detect_format(str(make_lasers_dataset(tmp_path / "lasers")), "test") == "lasers"
    earthreason = tmp_path / "er" / "val"
    for sub in ("images", "labels", "QAs"):
        (earthreason / sub).mkdir(parents=True)
    assert detect_format(str(tmp_path / "er"), "val") == "earthreason"
    with pytest.raises(InputError, match="nor LaSeRS-style"):
        detect_format(str(tmp_path / "er"), "test")
