"""`segearth eval`: gIoU and cIoU on an EarthReason split, computed as SegEarth-R1's paper code does."""

from __future__ import annotations

import argparse
import json
import time

from .runtime_options import add_runtime_arguments, load_segmenter


def _run(args: argparse.Namespace) -> int:
    from ..evaluation import IoUMeter, earthreason_samples, evaluate

    samples = earthreason_samples(args.data_dir, args.split)
    if args.limit:
        samples = samples[: args.limit]
    segmenter = load_segmenter(args)
    start = time.perf_counter()
    meter = IoUMeter()
    progress = None
    if not args.quiet:
        from tqdm import tqdm

        progress = tqdm(total=len(samples), unit="sample")
    for _sample, _iou, meter in evaluate(segmenter, samples):
        if progress is not None:
            progress.set_postfix_str(f"gIoU {meter.giou:.4f} cIoU {meter.ciou:.4f}", refresh=False)
            progress.update(1)
    if progress is not None:
        progress.close()
    summary = {**meter.summary(), "split": args.split, "model": segmenter.model_id, "device": segmenter.device,
               "seconds": round(time.perf_counter() - start, 2)}
    print(f"{args.split}: {summary['samples']} samples, gIoU {summary['gIoU']:.4f}, cIoU {summary['cIoU']:.4f}, "
          + ", ".join(f"Pr@{t} {summary[f'Pr@{t}']:.4f}" for t in (0.5, 0.6, 0.7, 0.8, 0.9))
          + f" ({segmenter.device}, {summary['seconds']} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=1)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="gIoU/cIoU on an EarthReason split (images/, labels/, QAs/)")
    p.add_argument("data_dir", help="folder with SPLIT/images|labels|QAs (or upstream's rs_reason_seg/RSReasonSeg)")
    p.add_argument("--model", required=True)
    p.add_argument("--split", default="val", choices=("val", "test"))
    p.add_argument("--limit", type=int, default=None, help="first N samples only")
    p.add_argument("--json", default=None, help="also write the scores to this JSON file")
    p.add_argument("--quiet", action="store_true")
    add_runtime_arguments(p)
    p.set_defaults(func=_run)
