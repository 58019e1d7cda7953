"""Where and how the model runs: the options every command that loads a model shares."""

from __future__ import annotations

import argparse

from segearth_engine import api
from segearth_engine.api import PRECISIONS


def add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("runtime")
    group.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    group.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    group.add_argument("--llm-precision", default="auto", choices=PRECISIONS,
                       help="the LLM's precision on the CPU (auto: fastest variant that keeps masks faithful here)")
    group.add_argument("--low-memory", action="store_true",
                       help="release the LLM between questions and the encoder after encoding (8 GB machines)")


def segmenter_options(args: argparse.Namespace) -> dict:
    """Keyword arguments for api.load_segmenter beyond backend and device."""
    return {"llm_precision": args.llm_precision, "low_memory": args.low_memory}


def load_segmenter(args: argparse.Namespace) -> api.Segmenter:
    """The model folder's family (SegEarth-R1 or SegEarth-R2), loaded with the command's runtime options."""
    return api.load_segmenter(args.model, backend=args.backend, device=args.device, **segmenter_options(args))
