"""`segearth` command line: one sub-command module per concern under segearth_engine.commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from segearth_engine.errors import SegEarthError

# Each module exposes register(subparsers) and sets `func` on its parsers.
COMMAND_MODULES = ("model", "segment", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segearth", description="SegEarth-R1 geospatial pixel reasoning")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"segearth_engine.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("segearth_engine.commands"):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except SegEarthError as exc:
        print(f"segearth: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("segearth: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
