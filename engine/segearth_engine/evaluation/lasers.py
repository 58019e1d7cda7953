"""gIoU / cIoU on LaSeRS-style annotations (COCO RLE, several masks per answer), as SegEarth-R2's eval code does.

Upstream (earth-insights/SegEarth-R2, segearth_r2/eval/eval.py at 3646d72 and 4a72b01; the loader is
segearth_r2/datasets/dataset.py `LaSeRSDataset`, 3bed2e8), reproduced here:
- every JSON file under SPLIT/annotations/ is its own subset (scored and reported separately); each holds a list of
  {id, image_name, description, answer, mask: [COCO RLE, ...]}; the image is SPLIT/images/IMAGE_NAME;
- the question is `description`; the answer's number of "[SEG]" is the number of targets k, and the first k RLEs
  (pycocotools `mask.decode`) are the ground truth, in order;
- each ground-truth mask, a uint8 0/1 array, is resized to the model's canvas with torch's bilinear interpolation
  (align_corners=False) on the uint8 tensor, then > 0; the prediction is the canvas decision (logit > 0);
- matching is by position: the i-th predicted mask (i-th [SEG] of the generated answer) against the i-th
  ground-truth mask. Too few predictions: the last one is repeated; too many: the extra ones are dropped; none
  (no [SEG] generated): empty masks;
- per mask pair: IoU = I / U, 1.0 when U == 0; gIoU = sum of IoUs / number of ground-truth masks; cIoU = sum(I) /
  sum(U) (upstream accumulates I and U the same way but prints only gIoU).
Differences, on purpose: upstream stretches the mask to the full 1024x1024 canvas whatever the image's aspect,
which is only consistent with its top-left padded prediction for square images (LaSeRS's are square). We resize
to the part of the canvas the image occupies and leave the padding empty: the same for square images, correct for
others. Upstream samples answers at temperature 0.2; our segmenters decode greedily, so scores are repeatable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.evaluation import coco_rle
from segearth_engine.evaluation.earthreason import IoUMeter, mask_on_canvas, read_rgb
from segearth_engine.types import Letterbox, MaskPrediction, MultiTargetPrediction

SEG = "[SEG]"
REQUIRED_KEYS = ("image_name", "description", "answer", "mask")


@dataclass(frozen=True)
class LaSeRSSample:
    """One question: its image, the reference answer, and one RLE per [SEG] of that answer."""

    subset: str
    id: str
    image: Path
    question: str
    answer: str
    rles: tuple[dict, ...]

    @property
    def mask_count(self) -> int:
        return len(self.rles)

    def masks(self) -> list[np.ndarray]:
        return [coco_rle.decode(rle) for rle in self.rles]


def _is_split(folder: Path) -> bool:
    annotations = folder / "annotations"
    return (folder / "images").is_dir() and annotations.is_dir() and any(annotations.glob("*.json"))


def find_lasers_split(data_dir: str | Path, split: str) -> Path | None:
    """The folder holding images/ and annotations/*.json for `split`, or None (several layouts, upstream's too)."""
    root = Path(data_dir)
    for candidate in (root / split, root / "rs_reason_seg" / "LaSeRS" / split, root / "LaSeRS" / split, root):
        if _is_split(candidate):
            return candidate
    return None


def lasers_split_dir(data_dir: str | Path, split: str) -> Path:
    folder = find_lasers_split(data_dir, split)
    if folder is None:
        root = Path(data_dir)
        raise InputError(f"{root}: no images/ and annotations/*.json for split {split!r} (expected "
                         f"{root / split / 'annotations'} or upstream's rs_reason_seg/LaSeRS/{split}/annotations)")
    return folder


def _sample(entry: object, subset: str, index: int, images: Path, source: Path) -> LaSeRSSample:
    where = f"{source}, entry {index}"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected an object, got {type(entry).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in entry]
    if missing:
        raise InputError(f"{where}: missing {', '.join(missing)}")
    answer, rles = str(entry["answer"]), entry["mask"]
    count = answer.count(SEG)
    if count == 0:
        raise InputError(f"{where}: the answer has no {SEG}, so there is no target to score")
    if not isinstance(rles, list) or len(rles) < count:
        have = len(rles) if isinstance(rles, list) else 0
        raise InputError(f"{where}: the answer has {count} {SEG} but only {have} masks")
    for rle in rles[:count]:
        if not (isinstance(rle, dict) and "size" in rle and "counts" in rle):
            raise InputError(f"{where}: masks must be COCO RLE objects {{'size': [h, w], 'counts': ...}}")
    image = images / str(entry["image_name"])
    if not image.is_file():
        raise InputError(f"{where}: image {image} not found")
    return LaSeRSSample(subset=subset, id=str(entry.get("id", index)), image=image,
                        question=str(entry["description"]).strip(), answer=answer, rles=tuple(rles[:count]))


def lasers_subsets(data_dir: str | Path, split: str) -> dict[str, list[LaSeRSSample]]:
    """Every annotation file of the split (sorted by name) and its questions, checked before any model loads."""
    folder = lasers_split_dir(data_dir, split)
    subsets: dict[str, list[LaSeRSSample]] = {}
    for source in sorted((folder / "annotations").glob("*.json")):
        try:
            entries = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{source} cannot be read as JSON: {exc}") from exc
        if not isinstance(entries, list):
            raise InputError(f"{source}: expected a list of annotations, got {type(entries).__name__}")
        subsets[source.stem] = [_sample(e, source.stem, i, folder / "images", source) for i, e in enumerate(entries)]
    return subsets


def gt_on_canvas(mask: np.ndarray, box: Letterbox) -> np.ndarray:
    """Upstream's ground truth on the canvas: torch bilinear on the uint8 mask, > 0 (see the module notes)."""
    import torch

    gt = np.asarray(mask)
    if gt.shape != (box.height, box.width):
        raise InputError(f"a mask of size {gt.shape[0]}x{gt.shape[1]} on an image of {box.height}x{box.width}")
    tensor = torch.from_numpy(np.ascontiguousarray(gt != 0, dtype=np.uint8))[None, None]
    resized = torch.nn.functional.interpolate(tensor, size=(box.new_height, box.new_width), mode="bilinear",
                                              align_corners=False)
    canvas = np.zeros((box.size, box.size), dtype=bool)
    canvas[box.top:box.top + box.new_height, box.left:box.left + box.new_width] = resized[0, 0].numpy() > 0
    return canvas


def prediction_canvases(prediction: MaskPrediction | MultiTargetPrediction, box: Letterbox) -> list[np.ndarray]:
    """One canvas decision per predicted target, in [SEG] order (a single-mask prediction counts as one target)."""
    items = prediction.targets if isinstance(prediction, MultiTargetPrediction) else [prediction]
    canvases = []
    for item in items:
        logits = item.canvas_logits
        canvases.append(np.asarray(logits) > 0 if logits is not None else mask_on_canvas(item.mask, box))
    return canvases


def pair_masks(predictions: list[np.ndarray], count: int, shape: tuple[int, int]) -> list[np.ndarray]:
    """Upstream's matching: by position, the last prediction repeated when short, extras dropped, none -> empty."""
    if not predictions:
        return [np.zeros(shape, dtype=bool)] * count
    padded = list(predictions[:count])
    padded += [predictions[-1]] * (count - len(padded))
    return padded


@dataclass
class LaSeRSScores:
    """Per-subset meters (one IoU per ground-truth mask), a pooled meter, and question counts."""

    subsets: dict[str, IoUMeter] = field(default_factory=dict)
    questions: dict[str, int] = field(default_factory=dict)
    overall: IoUMeter = field(default_factory=lambda: IoUMeter(union_epsilon=0.0))

    def add(self, subset: str, predictions: list[np.ndarray], truths: list[np.ndarray]) -> list[float]:
        meter = self.subsets.setdefault(subset, IoUMeter(union_epsilon=0.0))
        self.questions[subset] = self.questions.get(subset, 0) + 1
        ious = []
        for pred, gt in zip(pair_masks(predictions, len(truths), truths[0].shape), truths, strict=True):
            ious.append(meter.add(pred, gt))
            self.overall.add(pred, gt)
        return ious

    def summary(self) -> dict:
        def one(meter: IoUMeter, questions: int) -> dict:
            data = meter.summary()
            return {"questions": questions, "masks": data.pop("samples"), **data}

        subsets = {name: one(meter, self.questions[name]) for name, meter in self.subsets.items()}
        mean = {key: float(np.mean([s[key] for s in subsets.values()])) if subsets else float("nan")
                for key in ("gIoU", "cIoU")}
        return {"subsets": subsets, "all": one(self.overall, sum(self.questions.values())), "subset_mean": mean}


def evaluate_lasers(segmenter, subsets: dict[str, list[LaSeRSSample]]
                    ) -> Iterator[tuple[LaSeRSSample, list[float], LaSeRSScores]]:
    """Scores questions one by one (subset after subset), yielding (sample, its per-mask IoUs, the running scores).

    Consecutive questions on the same image reuse its encoding.
    """
    scores = LaSeRSScores()
    last_image, encoded = None, None
    for subset, samples in subsets.items():
        scores.subsets.setdefault(subset, IoUMeter(union_epsilon=0.0))
        scores.questions.setdefault(subset, 0)
        for sample in samples:
            if sample.image != last_image:
                encoded, last_image = segmenter.encode(read_rgb(sample.image)), sample.image
            box = encoded.letterbox
            truths = [gt_on_canvas(mask, box) for mask in sample.masks()]
            prediction = segmenter.segment(encoded, sample.question, "reasoning")
            yield sample, scores.add(subset, prediction_canvases(prediction, box), truths), scores
