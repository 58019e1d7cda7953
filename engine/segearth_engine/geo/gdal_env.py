"""GDAL settings for our own reads and writes: a bounded block cache, and timeouts for every network read.

GDAL's default cache is 5 % of RAM; decimating a 20000 x 20000 raster or polygonising a large on-disk grid would
fill all of it, so peak memory would grow with the raster. Our rasterio calls run inside this Env instead.
rasterio passes GDAL_CACHEMAX to GDALSetCacheMax64, which takes bytes (not GDAL's "< 100000 means MB" rule): a bare
64 would leave a 64-byte cache and every read would decompress its blocks again.

GDAL sets no HTTP timeout by default: a /vsicurl/ server that accepts and never answers hangs a run forever. The
network options below bound every request (a user's own GDAL_HTTP_* environment variables win), and
`interruptible` runs a remote call in a helper thread so that Ctrl-C (or SIGTERM) reaches the main thread at once
instead of after curl gives up. Opening a raster takes several requests, each retried, so per-request bounds alone
let a silent server hold an open for minutes (30 s x 3 tries x each request: 124 s measured); the whole open is
therefore given OPEN_DEADLINE_S, unless the user set GDAL_HTTP_* bounds of their own (theirs then decide alone).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

GDAL_CACHE_MB = 64
NETWORK_DEFAULTS = {
    "GDAL_HTTP_TIMEOUT": "30",  # seconds for a whole request
    "GDAL_HTTP_CONNECTTIMEOUT": "10",
    "GDAL_HTTP_MAX_RETRY": "2",  # retries of 429/5xx and timeouts
    "GDAL_HTTP_RETRY_DELAY": "1",
    "GDAL_HTTP_LOW_SPEED_TIME": "30",  # abort a transfer slower than 1 byte/s for 30 s
    "GDAL_HTTP_LOW_SPEED_LIMIT": "1",
}
OPEN_DEADLINE_S = 45.0  # a whole remote open, all its requests and retries: a user expects an answer within a minute
NETWORK_PREFIXES = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift", "/vsihdfs",
                    "/vsiwebhdfs", "http://", "https://", "ftp://", "s3://", "gs://", "az://")
T = TypeVar("T")


def network_options() -> dict[str, str]:
    """Timeouts and retries for GDAL's HTTP reads; values set in the environment take precedence."""
    return {key: os.environ.get(key, value) for key, value in NETWORK_DEFAULTS.items()}


def open_deadline() -> float | None:
    """Seconds the whole open of a remote raster may take: OPEN_DEADLINE_S, or None when the user bounded GDAL's
    requests themselves (a GDAL_HTTP_* timeout or retry variable in the environment)."""
    own = ("GDAL_HTTP_TIMEOUT", "GDAL_HTTP_CONNECTTIMEOUT", "GDAL_HTTP_MAX_RETRY", "GDAL_HTTP_LOW_SPEED_TIME")
    return None if any(os.environ.get(key) for key in own) else OPEN_DEADLINE_S


def is_network_path(path: object) -> bool:
    """A path GDAL reads over the network (also inside /vsizip/, /vsigzip/ ... chains)."""
    text = str(path)
    return any(prefix in text for prefix in NETWORK_PREFIXES)


def bounded_cache():
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024, **network_options())


class DeadlinePassed(TimeoutError):
    """An interruptible call did not end within its deadline; its thread is left to end with its own timeouts."""


def interruptible(call: Callable[[], T], deadline: float | None = None) -> T:
    """`call()` in a daemon thread, waited for in short slices so that KeyboardInterrupt (and the CLI's SIGTERM
    exception) are raised here at once, and DeadlinePassed after `deadline` seconds; the abandoned thread ends with
    its request timeout or with the process. `call` must enter its own rasterio Env: GDAL config options are per
    thread."""
    import time

    outcome: dict[str, object] = {}
    ends = None if deadline is None else time.monotonic() + deadline

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as it is
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="segearth-gdal-read", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
        if ends is not None and worker.is_alive() and time.monotonic() > ends:
            raise DeadlinePassed(f"no answer within {deadline:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
