"""The model download against the local hub (tests/local_hub.py) with a 200 MB weight file made at run time: an
uninterrupted transfer against one cancelled halfway and resumed (Range request, the kept half hashed again), at
the local hub's full speed and throttled to 25 MB/s (a fast home connection). Figures from one run, one process."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

PAYLOAD_BYTES = 200_000_000
REPO = "bench/payload"


def _download(hub, dest: Path, cancel_at: float | None = None) -> dict:
    """One download_model call; with `cancel_at` (a fraction), cancelled once that much of it has arrived."""
    from segearth_engine.api import Cancelled, HubAccess, download_model

    flag = {"at": None}
    out: dict = {}

    def progress(p) -> None:
        if cancel_at is not None and flag["at"] is None and p.fraction >= cancel_at:
            flag["at"] = time.perf_counter()

    start = time.perf_counter()
    try:
        download_model(REPO, hub.commit, dest, access=HubAccess(hub.url), progress=progress,
                       is_cancelled=lambda: flag["at"] is not None)
    except Cancelled:
        out["cancel_latency_s"] = time.perf_counter() - flag["at"]
    out["seconds"] = time.perf_counter() - start
    return out


def _case(hub, work: Path, label: str, rate_bps: int) -> None:
    from segearth_engine.api import partial_bytes

    hub.faults.rate_bps = rate_bps
    whole = _download(hub, work / f"{label}-whole")
    first = _download(hub, work / f"{label}-resumed", cancel_at=0.5)
    kept = partial_bytes(work / f"{label}-resumed")
    second = _download(hub, work / f"{label}-resumed")
    total = first["seconds"] + second["seconds"]
    print(f"{label:<22} {whole['seconds']:>8.2f} {first['seconds']:>9.2f} {first.get('cancel_latency_s', 0):>9.3f} "
          f"{kept / 1e6:>8.1f} {second['seconds']:>9.2f} {total:>9.2f} {total / whole['seconds']:>6.2f}")
    assert hub.ranges_asked("/cdn/")[-1] == f"bytes={kept}-", hub.ranges_asked("/cdn/")[-3:]


def main() -> None:
    from segearth_engine.tiny_models.r1 import make_tiny_model
    from tests.local_hub import LocalHub, release_copy, write_payload

    with tempfile.TemporaryDirectory(prefix="segearth-bench-download-") as tmp:
        work = Path(tmp)
        release = release_copy(make_tiny_model(work / "tiny", seed=0), work / "release")
        write_payload(release / "payload-200mb.safetensors", PAYLOAD_BYTES, seed=0)
        with LocalHub() as hub:
            hub.commit = hub.add_repo(REPO, release)
            size = sum(p.stat().st_size for p in release.iterdir())
            print(f"repo of {size / 1e6:.1f} MB (a {PAYLOAD_BYTES / 1e6:.0f} MB weight file and the tiny model), "
                  "local hub on 127.0.0.1; resumed = cancelled at 50 % then downloaded again")
            print(f"{'case':<22} {'whole s':>8} {'to cancel':>9} {'cancel s':>9} {'kept MB':>8} {'resume s':>9} "
                  f"{'total s':>9} {'ratio':>6}")
            _case(hub, work, "full speed", 0)
            _case(hub, work, "throttled 25 MB/s", 25_000_000)
            hub.faults.rate_bps = 0


if __name__ == "__main__":
    main()
