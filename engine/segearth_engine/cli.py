"""`segearth` command line: one sub-command module per concern under segearth_engine.commands.

Every failure ends in one line on stderr and a documented exit code (EXIT_CODES); a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys

from segearth_engine.errors import (
    Cancelled,
    InputError,
    LimitError,
    ModelFilesError,
    OutputError,
    OutputExistsError,
    SegEarthError,
)

# Each module exposes register(subparsers) and sets `func` on its parsers.
COMMAND_MODULES = ("model", "segment", "evaluate")

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_MODEL, EXIT_OUTPUT, EXIT_LIMIT = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "unexpected internal error (a bug: rerun with --debug and report the traceback)",
    EXIT_INPUT: "bad arguments or input: raster, bands, extent, question, output name (or the output exists)",
    EXIT_MODEL: "model folder: missing, corrupt or invalid files, config values out of range",
    EXIT_OUTPUT: "the output could not be written (full disk, I/O error); nothing half-written is left",
    EXIT_LIMIT: "the run is too large (output grid, memory): the message says what to change",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C) or cancelled; nothing was written",
    EXIT_TERMINATED: "terminated (SIGTERM); temporary files removed, nothing was written",
}
GDAL_LOGGERS = ("rasterio", "fiona")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that every `finally` (temporary grids, stages) runs as for Ctrl-C."""


def _on_sigterm(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise Terminated()


def exit_code(exc: BaseException) -> int:
    """The documented exit code of an exception (EXIT_CODES)."""
    if isinstance(exc, Terminated):
        return EXIT_TERMINATED
    if isinstance(exc, KeyboardInterrupt | Cancelled):
        return EXIT_INTERRUPTED
    if isinstance(exc, LimitError | MemoryError):
        return EXIT_LIMIT
    if isinstance(exc, OutputExistsError | InputError):
        return EXIT_INPUT
    if isinstance(exc, ModelFilesError):
        return EXIT_MODEL
    if isinstance(exc, OutputError):
        return EXIT_OUTPUT
    if isinstance(exc, SegEarthError):
        return EXIT_INPUT
    return EXIT_INTERNAL


def one_line(exc: BaseException) -> str:
    """The message a user sees: the engine's own message, else the exception's first line and type."""
    if isinstance(exc, Terminated):
        return "terminated; temporary files removed, nothing was written"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing was written"
    if isinstance(exc, MemoryError):
        return "out of memory: use a smaller --extent, a coarser --resolution or --low-memory"
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, SegEarthError):
        return text
    return f"internal error: {type(exc).__name__}: {text} (rerun with --debug for the traceback)"


def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser = argparse.ArgumentParser(prog="segearth", description="SegEarth-R1 geospatial pixel reasoning",
                                     epilog=f"exit codes:\n{codes}", formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages (GDAL's included)")
    parser.add_argument("--debug", action="store_true", help="on failure, print the full traceback")
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
    if not args.verbose:  # GDAL's errors come back as our exceptions; its log lines would only repeat them
        for name in GDAL_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    previous = _install_sigterm()
    try:
        return int(args.func(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every failure becomes one line and a code
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"segearth: error: {one_line(exc)}", file=sys.stderr)
        return exit_code(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_sigterm():
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker): leave SIGTERM alone
        return None


if __name__ == "__main__":
    sys.exit(main())
