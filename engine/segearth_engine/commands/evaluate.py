"""`segearth eval`: gIoU and cIoU on an EarthReason split (SegEarth-R1's paper code) or on LaSeRS-style
annotations (SegEarth-R2's: COCO RLE, one mask per [SEG]); the layout is detected from the folder."""

from __future__ import annotations

import argparse
import json
import time

from segearth_engine.commands.runtime_options import add_runtime_arguments, load_segmenter
from segearth_engine.errors import InputError

FORMATS = ("auto", "earthreason", "lasers")


def detect_format(data_dir: str, split: str) -> str:
    """LaSeRS when SPLIT/annotations/*.json and SPLIT/images/ exist, EarthReason when images|labels|QAs do."""
    from segearth_engine.evaluation.earthreason import split_dir
    from segearth_engine.evaluation.lasers import find_lasers_split

    if find_lasers_split(data_dir, split) is not None:
        return "lasers"
    try:
        split_dir(data_dir, split)
    except InputError as exc:
        raise InputError(f"{exc}; nor LaSeRS-style SPLIT/images/ and SPLIT/annotations/*.json") from None
    return "earthreason"


def _progress(args: argparse.Namespace, total: int):
    if args.quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="question")


def _write_json(args: argparse.Namespace, summary: dict) -> None:
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=1)


def _run_earthreason(args: argparse.Namespace) -> int:
    from segearth_engine.evaluation.earthreason import IoUMeter, earthreason_samples, evaluate

    samples = earthreason_samples(args.data_dir, args.split)
    if args.limit:
        samples = samples[: args.limit]
    segmenter = load_segmenter(args)
    start = time.perf_counter()
    meter = IoUMeter()
    progress = _progress(args, len(samples))
    for _sample, _iou, meter in evaluate(segmenter, samples):
        if progress is not None:
            progress.set_postfix_str(f"gIoU {meter.giou:.4f} cIoU {meter.ciou:.4f}", refresh=False)
            progress.update(1)
    if progress is not None:
        progress.close()
    summary = {**meter.summary(), "format": "earthreason", "split": args.split, "model": segmenter.model_id,
               "device": segmenter.device, "seconds": round(time.perf_counter() - start, 2)}
    print(f"{args.split}: {summary['samples']} samples, gIoU {summary['gIoU']:.4f}, cIoU {summary['cIoU']:.4f}, "
          + ", ".join(f"Pr@{t} {summary[f'Pr@{t}']:.4f}" for t in (0.5, 0.6, 0.7, 0.8, 0.9))
          + f" ({segmenter.device}, {summary['seconds']} s)")
    _write_json(args, summary)
    return 0


def _run_lasers(args: argparse.Namespace) -> int:
    from segearth_engine.evaluation.lasers import LaSeRSScores, evaluate_lasers, lasers_subsets

    subsets = lasers_subsets(args.data_dir, args.split)
    if args.limit:
        subsets = {name: samples[: args.limit] for name, samples in subsets.items()}
    segmenter = load_segmenter(args)
    start = time.perf_counter()
    scores = LaSeRSScores()
    progress = _progress(args, sum(len(s) for s in subsets.values()))
    for sample, _ious, scores in evaluate_lasers(segmenter, subsets):
        if progress is not None:
            meter = scores.subsets[sample.subset]
            progress.set_postfix_str(f"{sample.subset} gIoU {meter.giou:.4f} cIoU {meter.ciou:.4f}", refresh=False)
            progress.update(1)
    if progress is not None:
        progress.close()
    summary = {**scores.summary(), "format": "lasers", "split": args.split, "model": segmenter.model_id,
               "device": segmenter.device, "seconds": round(time.perf_counter() - start, 2)}
    for name, part in [*summary["subsets"].items(), ("all", summary["all"])]:
        print(f"{args.split}/{name}: {part['questions']} questions, {part['masks']} masks, "
              f"gIoU {part['gIoU']:.4f}, cIoU {part['cIoU']:.4f}")
    mean = summary["subset_mean"]
    print(f"{args.split}: mean over {len(summary['subsets'])} subsets gIoU {mean['gIoU']:.4f}, "
          f"cIoU {mean['cIoU']:.4f} ({segmenter.device}, {summary['seconds']} s)")
    _write_json(args, summary)
    return 0


def _run(args: argparse.Namespace) -> int:
    fmt = detect_format(args.data_dir, args.split) if args.format == "auto" else args.format
    return _run_lasers(args) if fmt == "lasers" else _run_earthreason(args)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="gIoU/cIoU on an EarthReason split (images/, labels/, QAs/) or LaSeRS-style "
                                    "annotations (images/, annotations/*.json with COCO RLE masks)")
    p.add_argument("data_dir", help="folder with SPLIT/images|labels|QAs or SPLIT/images|annotations (upstream's "
                                    "rs_reason_seg/RSReasonSeg and rs_reason_seg/LaSeRS layouts too)")
    p.add_argument("--model", required=True)
    p.add_argument("--split", default="val", choices=("val", "test"))
    p.add_argument("--format", default="auto", choices=FORMATS,
                   help="annotation layout (auto: LaSeRS when SPLIT/annotations/*.json exists, else EarthReason)")
    p.add_argument("--limit", type=int, default=None, help="first N questions only (of each LaSeRS subset)")
    p.add_argument("--json", default=None, help="also write the scores to this JSON file")
    p.add_argument("--quiet", action="store_true")
    add_runtime_arguments(p)
    p.set_defaults(func=_run)
    register_question_set(sub)


def register_question_set(sub: argparse._SubParsersAction) -> None:
    """`segearth eval-questions` (issue 17): question-set tables scored against reference polygons."""
    from segearth_engine.commands import evaluate_questions

    evaluate_questions.register(sub)
