"""A Dask client: connected to a running scheduler, or owning a LocalCluster of worker processes on this machine."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

from segearth_engine.errors import InputError


def has_dashboard() -> bool:
    """The dashboard needs bokeh; without it the scheduler runs fine but serves no pages."""
    return importlib.util.find_spec("bokeh") is not None


@contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None, threads_per_worker: int = 1,
                gpus_per_worker: int = 0, dashboard_address: str = ":8787") -> Iterator[object]:
    """Yields a distributed.Client; a LocalCluster it started is closed (workers included) on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError("cluster runs need dask and distributed: pip install dask distributed") from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    if not workers or workers < 1:
        raise InputError("give --scheduler ADDRESS or --workers N (N >= 1)")
    resources = {"GPU": gpus_per_worker} if gpus_per_worker else None
    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=int(threads_per_worker), processes=True,
                           dashboard_address=dashboard_address if has_dashboard() else ":0", resources=resources)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def dashboard_text(client) -> str:
    link = getattr(client, "dashboard_link", "") or ""
    if not has_dashboard():
        return f"Dask scheduler {client.scheduler.address} (dashboard: install bokeh>=3.1 to serve it)"
    return f"Dask dashboard: {link}"
