"""Progress of a cluster run, kept on disk next to the output so that --resume can continue it.

`<out>.segearth-progress.json`: the run's fingerprint and counts (small, rewritten atomically now and then).
`<out>.segearth-run/`: tiles.log (append-only, one JSON line per finished or failed tile: the record of what is done),
tiles/ (each tile's logits and valid mask until every cell it covers is vectorised, then deleted, so disk use stays
a few tile rows wide), strips/ (each finished strip's polygons, and the pieces still open across its lower border).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np

from segearth_engine.errors import InputError, OutputExistsError


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


class RunFolder:
    """The sidecar files of one output path."""

    def __init__(self, out: str | Path) -> None:
        out = Path(out).expanduser()
        self.progress_path = out.with_name(out.name + ".segearth-progress.json")
        self.folder = out.with_name(out.name + ".segearth-run")
        self.tiles_dir = self.folder / "tiles"
        self.strips_dir = self.folder / "strips"
        self.log_path = self.folder / "tiles.log"

    def exists(self) -> bool:
        return self.progress_path.exists() or self.folder.exists()

    def start(self, fingerprint: str, summary: dict, resume: bool, overwrite: bool) -> bool:
        """Prepare the folder; True when an earlier run with the same plan is continued."""
        if self.exists():
            if resume:
                previous = self.read_progress().get("fingerprint")
                if previous != fingerprint:
                    raise InputError(f"{self.progress_path} belongs to a run with other inputs (raster, extent, "
                                     "question, model or settings); rerun with the same ones, or pass --overwrite "
                                     "without --resume to start again")
                self.write_progress({**self.read_progress(), **summary, "fingerprint": fingerprint})
                return True
            if not overwrite:
                raise OutputExistsError(f"{self.progress_path} holds an unfinished run for this output; pass "
                                        "--resume to continue it, or --overwrite to start again")
            self.remove()
        for folder in (self.tiles_dir, self.strips_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.write_progress({**summary, "fingerprint": fingerprint})
        return False

    def read_progress(self) -> dict:
        try:
            return json.loads(self.progress_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_progress(self, fields: dict) -> None:
        _atomic_write(self.progress_path, json.dumps(fields, indent=1).encode("utf-8"))

    # -- the tile log ------------------------------------------------------------------------------------------------
    def record(self, kind: str, row: int, col: int, **extra) -> None:
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": kind, "row": row, "col": col, **extra}) + "\n")

    def read_log(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        events = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash: that tile is simply done again
        return events

    # -- per-tile results --------------------------------------------------------------------------------------------
    def _tile_path(self, row: int, col: int) -> Path:
        return self.tiles_dir / f"r{row:05d}_c{col:05d}.npz"

    def save_tile(self, row: int, col: int, logits: np.ndarray | None, valid: np.ndarray | None) -> None:
        buffer = io.BytesIO()
        if logits is None:
            np.savez(buffer, empty=np.array(True))
        else:
            np.savez(buffer, empty=np.array(False), logits=logits, valid=np.packbits(valid, axis=None),
                     shape=np.array(valid.shape))
        _atomic_write(self._tile_path(row, col), buffer.getvalue())

    def has_tile(self, row: int, col: int) -> bool:
        return self._tile_path(row, col).exists()

    def load_tile(self, row: int, col: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(logits, valid); (None, None) for a tile without valid pixels."""
        with np.load(self._tile_path(row, col), allow_pickle=False) as data:
            if bool(data["empty"]):
                return None, None
            shape = tuple(int(v) for v in data["shape"])
            valid = np.unpackbits(data["valid"], count=shape[0] * shape[1]).reshape(shape).astype(bool)
            return data["logits"], valid

    def drop_tile(self, row: int, col: int) -> None:
        self._tile_path(row, col).unlink(missing_ok=True)

    # -- finished strips ---------------------------------------------------------------------------------------------
    def _strip_path(self, index: int) -> Path:
        return self.strips_dir / f"{index:06d}.json"

    def save_strip(self, index: int, payload: dict) -> None:
        _atomic_write(self._strip_path(index), json.dumps(payload).encode("utf-8"))

    def load_strip(self, index: int) -> dict:
        return json.loads(self._strip_path(index).read_text(encoding="utf-8"))

    def strips_done(self) -> int:
        count = 0
        while self._strip_path(count).exists():
            count += 1
        return count

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.progress_path.unlink(missing_ok=True)
