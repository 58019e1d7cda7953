"""Model-management sub-commands: make-tiny-model, download, export, verify, info.

`download` and `info` are callers like any other and go through segearth_engine.api; `make-tiny-model`, `export` and
`verify` are the SegEarth-R1 tooling itself (tiny random models, ONNX graphs, checkpoint layout), so they use the
rooms that hold it directly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _make_tiny(args: argparse.Namespace) -> int:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    out = make_tiny_model(args.out_dir, seed=args.seed, overwrite=args.overwrite)
    print(f"wrote a tiny RANDOM test model to {out} (seed {args.seed}); its masks are meaningless")
    return 0


def _progress_printer(stream):
    """Progress on stderr: one line rewritten in place on a terminal, else a line every 5 s and at each stage."""
    import time

    from segearth_engine.weights.transfer_meter import describe

    tty = stream.isatty()
    last = {"at": float("-inf"), "stage": ""}

    def report(progress) -> None:
        now = time.monotonic()
        if tty:
            stream.write("\r" + describe(progress).ljust(78)[:110] + ("\n" if progress.stage == "done" else ""))
        elif progress.stage != last["stage"] or now - last["at"] >= 5:
            stream.write(describe(progress) + "\n")
            last["at"] = now
        last["stage"] = progress.stage
        stream.flush()

    return report


def _download(args: argparse.Namespace) -> int:
    """Hub address, token and proxy from HF_ENDPOINT, HF_TOKEN, HTTPS_PROXY/HTTP_PROXY/NO_PROXY."""
    import sys

    from segearth_engine.api import Cancelled, download_model

    try:
        folder = download_model(args.repo_id, args.revision, Path(args.dest) if args.dest else None,
                                local_files_only=args.offline, progress=_progress_printer(sys.stderr))
    except KeyboardInterrupt:
        raise Cancelled("interrupted; what was fetched is kept: run the same command again to resume") from None
    print(f"{args.repo_id}: verified in {folder}")
    if not args.no_export:
        from segearth_engine.models.r1.onnx_export import export_onnx

        graphs = export_onnx(folder, overwrite=True)
        print(f"ONNX graphs: {graphs.encoder}, {graphs.decoder}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from segearth_engine.models.r1.onnx_export import export_onnx

    graphs = export_onnx(args.model_dir, args.out_dir, overwrite=args.overwrite)
    print(f"wrote {graphs.encoder} and {graphs.decoder}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from segearth_engine.models.r1.checkpoint import UNUSED_CHECKPOINT_KEYS, expected_layout
    from segearth_engine.models.r1.config import SegEarthConfig
    from segearth_engine.models.r1.loading import build_model
    from segearth_engine.weights.checkpoint import check_layout, checkpoint_layout, weight_files
    from segearth_engine.weights.hub import check_manifest

    folder = Path(args.model_dir)
    manifest = check_manifest(folder, full=True)
    cfg = SegEarthConfig.from_file(folder / "config.json")
    expected = expected_layout(build_model(cfg), cfg.llm.num_attention_heads)
    check_layout(checkpoint_layout(weight_files(folder)), expected, "SegEarth-R1", UNUSED_CHECKPOINT_KEYS)
    what = "sha256 matches the manifest" if manifest else "no manifest: digests not checked"
    print(f"{folder}: layout matches SegEarth-R1; {what}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from segearth_engine import api

    seg = api.load_segmenter(args.model_dir, backend=args.backend, device=args.device)
    family = api.model_family(seg.model_dir)
    print(json.dumps({"model": seg.model_id, "family": family, "backend": seg.backend, "device": seg.device,
                      "image_size": seg.image_size,
                      "test_model_random_weights": api.is_test_config(api.read_folder_config(seg.model_dir))},
                     indent=1))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-tiny-model", help="write a tiny random model in the official layout (tests only)")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_make_tiny)

    p = sub.add_parser("download", help="download official weights (pinned revision, sha256-checked) and export; "
                       "resumes an interrupted download; hub address, token and proxy from HF_ENDPOINT, HF_TOKEN, "
                       "HTTPS_PROXY / HTTP_PROXY / NO_PROXY")
    p.add_argument("repo_id", help="e.g. earth-insights/SegEarth-R1-EarthReason")
    p.add_argument("--revision", default=None, help="commit to pin (default: the release's pinned revision)")
    p.add_argument("--dest", default=None, help="folder for the files (default: the Hugging Face cache)")
    p.add_argument("--offline", action="store_true", help="use only the local Hugging Face cache")
    p.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    p.set_defaults(func=_download)

    p = sub.add_parser("export", help="export the vision encoder and mask decoder to ONNX")
    p.add_argument("model_dir")
    p.add_argument("--out-dir", default=None)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_export)

    p = sub.add_parser("verify", help="check a model folder's layout and sha256 digests")
    p.add_argument("model_dir")
    p.set_defaults(func=_verify)

    p = sub.add_parser("info", help="load a model and say where it runs")
    p.add_argument("model_dir")
    p.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    p.set_defaults(func=_info)
