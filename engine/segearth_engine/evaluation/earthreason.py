"""gIoU / cIoU exactly as SegEarth-R1's eval code computes them, on EarthReason's folder layout.

Upstream (segearth_r1/eval_and_test/eval.py, RS_val_dataset.py), reproduced here:
- images/, labels/, QAs/ are each listed, filtered by extension and sorted; they are paired by sorted position;
- only questions[0] of each QA file is asked, as a reasoning question;
- the label is binarised (value != 0), resized to the letterboxed size with OpenCV's INTER_NEAREST and zero-padded
  to the 1024 canvas; the prediction is the canvas decision (logit > 0), padding included;
- per sample: IoU = I / (U + 1e-5), and 1.0 when U == 0 (empty prediction on an empty label);
- gIoU = mean of the per-sample IoUs; cIoU = sum(I) / (sum(U) + 1e-10); Pr@t = share of samples with IoU > t.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.models.r1.preprocess import letterbox_geometry
from segearth_engine.types import Letterbox

IMAGE_EXTS = (".jpg", ".jpeg", ".png")
LABEL_EXTS = (".png",)
QA_EXTS = (".json", ".txt")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def sample_iou(inter: float, union: float, union_epsilon: float = 1e-5) -> float:
    """One sample's IoU as upstream computes it: 1.0 when both are empty, else I / (U + epsilon)."""
    return 1.0 if union == 0 else inter / (union + union_epsilon)


@dataclass
class IoUMeter:
    """Accumulates foreground intersections and unions over samples.

    `union_epsilon` is added to each sample's union: 1e-5 in SegEarth-R1's code, 0 in SegEarth-R2's.
    """

    intersections: list[float] = field(default_factory=list)
    unions: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    union_epsilon: float = 1e-5

    def add(self, prediction: np.ndarray, label: np.ndarray) -> float:
        pred, gt = np.asarray(prediction).astype(bool), np.asarray(label).astype(bool)
        if pred.shape != gt.shape:
            raise ValueError(f"prediction {pred.shape} and label {gt.shape} differ in shape")
        return self.add_areas(float(np.count_nonzero(pred & gt)), float(np.count_nonzero(pred | gt)))

    def add_areas(self, inter: float, union: float) -> float:
        """One sample from its intersection and union sizes (pixel counts, or m² for vector answers)."""
        iou = sample_iou(inter, union, self.union_epsilon)
        self.intersections.append(inter)
        self.unions.append(union)
        self.ious.append(iou)
        return iou

    @property
    def giou(self) -> float:
        return float(np.mean(self.ious)) if self.ious else float("nan")

    @property
    def ciou(self) -> float:
        return float(sum(self.intersections) / (sum(self.unions) + 1e-10))

    def precision_at(self, threshold: float) -> float:
        return float(np.mean([iou > threshold for iou in self.ious])) if self.ious else float("nan")

    def summary(self) -> dict:
        return {"samples": len(self.ious), "gIoU": self.giou, "cIoU": self.ciou,
                **{f"Pr@{t}": self.precision_at(t) for t in THRESHOLDS}}


def nearest_resize(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST): source index floor(i * src / dst)."""
    src_h, src_w = mask.shape[:2]
    cols = np.minimum(np.floor(np.arange(width) * (1.0 / (width / src_w))).astype(np.int64), src_w - 1)
    rows = np.minimum(np.floor(np.arange(height) * (1.0 / (height / src_h))).astype(np.int64), src_h - 1)
    return mask[rows][:, cols]


def label_on_canvas(label: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Upstream's preprocess_mask: binarise, nearest-resize the long side to `size`, centred zero padding."""
    binary = (np.asarray(label) != 0).astype(np.uint8)
    box = letterbox_geometry(binary.shape[0], binary.shape[1], size)
    canvas = np.zeros((size, size), dtype=np.uint8)
    canvas[box.top:box.top + box.new_height, box.left:box.left + box.new_width] = nearest_resize(
        binary, box.new_width, box.new_height)
    return canvas, box


def mask_on_canvas(mask: np.ndarray, box: Letterbox) -> np.ndarray:
    """An image-size mask put back on the canvas (used when the segmenter does not expose its canvas logits)."""
    canvas = np.zeros((box.size, box.size), dtype=bool)
    canvas[box.top:box.top + box.new_height, box.left:box.left + box.new_width] = nearest_resize(
        np.asarray(mask, dtype=np.uint8), box.new_width, box.new_height).astype(bool)
    return canvas


def split_dir(data_dir: str | Path, split: str) -> Path:
    """The folder holding images/, labels/, QAs/ for `split` (several layouts accepted, upstream's included)."""
    root = Path(data_dir)
    for candidate in (root / split, root / "rs_reason_seg" / "RSReasonSeg" / split, root / "RSReasonSeg" / split,
                      root):
        if all((candidate / sub).is_dir() for sub in ("images", "labels", "QAs")):
            return candidate
    raise InputError(f"{root}: no images/, labels/ and QAs/ folders for split {split!r} (expected "
                     f"{root / split / 'images'} or upstream's rs_reason_seg/RSReasonSeg/{split}/images)")


def _listing(folder: Path, exts: tuple[str, ...]) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(exts)), key=str)


@dataclass(frozen=True)
class Sample:
    image: Path
    label: Path
    qa: Path

    @property
    def question(self) -> str:
        data = json.loads(self.qa.read_text(encoding="utf-8"))
        questions = data.get("questions") or []
        if not questions:
            raise InputError(f"{self.qa} has no questions")
        return str(questions[0])


def earthreason_samples(data_dir: str | Path, split: str) -> list[Sample]:
    folder = split_dir(data_dir, split)
    images = _listing(folder / "images", IMAGE_EXTS)
    labels = _listing(folder / "labels", LABEL_EXTS)
    qas = _listing(folder / "QAs", QA_EXTS)
    if not (len(images) == len(labels) == len(qas)):
        raise InputError(f"{folder}: {len(images)} images, {len(labels)} labels and {len(qas)} QA files; upstream "
                         "pairs them by sorted position, so the counts must match")
    return [Sample(*triple) for triple in zip(images, labels, qas, strict=True)]


def read_rgb(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path} cannot be read as an image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_label(path: Path) -> np.ndarray:
    import cv2

    label = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if label is None:
        raise InputError(f"{path} cannot be read as a label image")
    return label


def canvas_prediction(segmenter, image: np.ndarray, question: str, task: str = "reasoning") -> np.ndarray:
    """The model's decision on the padded canvas, as upstream scores it."""
    encoded = segmenter.encode(image)
    prediction = segmenter.segment(encoded, question, task)
    if prediction.canvas_logits is not None:
        return np.asarray(prediction.canvas_logits) > 0
    return mask_on_canvas(prediction.mask, encoded.letterbox)  # a segmenter that does not expose its canvas


def evaluate(segmenter, samples: list[Sample]) -> Iterator[tuple[Sample, float, IoUMeter]]:
    """Scores samples one by one, yielding (sample, its IoU, the running meter)."""
    meter = IoUMeter()
    size = int(segmenter.image_size)
    for sample in samples:
        label, _ = label_on_canvas(read_label(sample.label), size)
        pred = canvas_prediction(segmenter, read_rgb(sample.image), sample.question)
        yield sample, meter.add(pred, label), meter
