"""The tiled plan on a real LocalCluster (2 worker processes, 1 thread each) with the tiny model.

Everything is compared with the single-process run on the same model (its random outputs are not a fixed answer):
same polygons, including regions crossing tile borders; a killed worker, an interrupted run resumed, and a damaged
block each still end with every tile done exactly once (counted in the sidecar's tile log) or listed as failed.
"""

from __future__ import annotations

import csv
import json
import os
import signal

import numpy as np
import pytest

from segearth_engine.distributed.merge import Cells
from segearth_engine.distributed.runner import failures_path, run_on_cluster
from segearth_engine.distributed.sidecar import RunFolder
from segearth_engine.geo.affine_math import apply
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster

from .scenes import write_damaged_scene, write_scene

pytestmark = pytest.mark.timeout(600)
REQUEST = SegmentationRequest("where are the fields?", mode="tiled")
FP32 = {"llm_precision": "fp32"}  # as the tiny_onnx_segmenter fixture: the reference precision, same in every process


@pytest.fixture(scope="module")
def client():
    import psutil
    from distributed import Client, LocalCluster

    pids = set()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      resources={"GPU": 1}) as cluster, Client(cluster) as dask_client:
        dask_client.worker_pids = pids  # every worker process seen, checked for leaks below
        yield dask_client
        pids.update(dask_client.run(os.getpid).values())
    alive = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"worker processes left running: {alive}"


@pytest.fixture(scope="module")
def scene_path(tmp_path_factory):
    return write_scene(tmp_path_factory.mktemp("scene") / "scene.tif")


@pytest.fixture(scope="module")
def single(scene_path, tiny_onnx_segmenter):
    with RasterioSource(scene_path) as src:
        return segment_raster(src, tiny_onnx_segmenter, REQUEST)


def run(*args, **kwargs):
    return run_on_cluster(*args, segmenter_options=FP32, **kwargs)


def _key(feature):
    return feature[1]["pixels"], feature[0].bounds


def assert_same_polygons(got: list, expected: list) -> None:
    assert len(got) == len(expected) > 0
    for (ga, aa), (gb, ab) in zip(sorted(got, key=_key), sorted(expected, key=_key), strict=True):
        assert ga.bounds == pytest.approx(gb.bounds, abs=1e-6)
        assert ga.symmetric_difference(gb).area == pytest.approx(0.0, abs=1e-3)
        assert aa["pixels"] == ab["pixels"] and aa["area_m2"] == pytest.approx(ab["area_m2"], rel=1e-6)
        assert aa["mean_prob"] == pytest.approx(ab["mean_prob"], abs=2e-4)
        assert aa["question"] == ab["question"] and aa["model"] == ab["model"]


def done_events(out) -> dict:
    counts: dict = {}
    for event in RunFolder(out).read_log():
        if event["event"] == "done":
            counts[(event["row"], event["col"])] = counts.get((event["row"], event["col"]), 0) + 1
    return counts


def model_loads(client) -> list[int]:
    per_worker = client.run(lambda dask_worker: [getattr(p, "loads", 0) for name, p in dask_worker.plugins.items()
                                                 if name.startswith("segearth-model-")])
    return [sum(v) for v in per_worker.values()]


def test_cluster_output_equals_the_single_process_output(client, scene_path, single, tmp_path, tiny_model_dir):
    import fiona

    out = tmp_path / "answer.gpkg"
    result = run(client, scene_path, tiny_model_dir, REQUEST, out, tiles_per_task=2,
                            gpu_per_task=True)
    assert result.tiles_total == single.tiles_total == 6 and result.tiles_run == 6 and not result.failures
    assert_same_polygons(result.features, single.features)
    with fiona.open(out) as layer:
        assert len(layer) == len(single.features)
    assert not RunFolder(out).exists() and not failures_path(out).exists()
    # some answer region spans a tile border both ways: it was merged from pieces of several cells
    with RasterioSource(scene_path) as src:
        from segearth_engine.pipeline.raster import plan_layout

        _, grid, _, layout = plan_layout(src, REQUEST, 1024)
    cells = Cells(layout)
    col_x = [apply(grid.transform, c, 0)[0] for c in cells.col_bounds[1:-1]]
    row_y = [apply(grid.transform, 0, r)[1] for r in cells.row_bounds[1:-1]]
    assert any(g.bounds[0] < x < g.bounds[2] for g, _ in result.features for x in col_x)
    assert any(g.bounds[1] < y < g.bounds[3] for g, _ in result.features for y in row_y)
    assert model_loads(client) == [1, 1]  # once per worker, not per task


def test_killed_worker_still_completes_every_tile_once(client, scene_path, single, tmp_path, tiny_model_dir):
    out = tmp_path / "killed.gpkg"
    killed = []

    def kill_one(resolved, total, failed, rate):
        if resolved >= 1 and not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            target = busy[0] if busy else next(iter(client.scheduler_info()["workers"]))
            pid = client.run(os.getpid, workers=[target])[target]
            client.worker_pids.add(pid)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    result = run(client, scene_path, tiny_model_dir, REQUEST, out, tiles_per_task=1, progress=kill_one,
                            keep_sidecar=True)
    assert killed and result.tiles_run == 6 and not result.failures
    counts = done_events(out)
    assert sorted(counts) == sorted((t // 3, t % 3) for t in range(6)) and set(counts.values()) == {1}
    assert_same_polygons(result.features, single.features)
    RunFolder(out).remove()


class Interrupt(Exception):
    pass


def test_resume_skips_the_tiles_already_done(client, scene_path, single, tmp_path, tiny_model_dir):
    out = tmp_path / "resumed.gpkg"

    def stop(resolved, total, failed, rate):
        if resolved >= 3:
            raise Interrupt()

    with pytest.raises(Interrupt):
        run(client, scene_path, tiny_model_dir, REQUEST, out, tiles_per_task=1, progress=stop,
                       max_in_flight=2)
    assert not out.exists()
    before = done_events(out)
    progress = json.loads(RunFolder(out).progress_path.read_text())
    assert 3 <= len(before) < 6 and progress["tiles_total"] == 6
    result = run(client, scene_path, tiny_model_dir, REQUEST, out, tiles_per_task=1, resume=True,
                            keep_sidecar=True)
    after = done_events(out)
    assert result.tiles_run == 6 - len(before) and set(after.values()) == {1} and len(after) == 6
    assert_same_polygons(result.features, single.features)
    RunFolder(out).remove()


def test_a_tile_failing_twice_lands_in_the_failures_table(client, tmp_path, tiny_model_dir):
    path, (bx0, by0, bx1, by1) = write_damaged_scene(tmp_path / "damaged.tif", block=(8, 0))
    out = tmp_path / "damaged.gpkg"
    result = run(client, path, tiny_model_dir, REQUEST, out, tiles_per_task=3, keep_sidecar=True)
    with RasterioSource(path) as src:
        from segearth_engine.pipeline.raster import plan_layout

        _, _, _, layout = plan_layout(src, REQUEST, 1024)
    expected = {(t.row, t.col) for t in layout
                if t.col0 < bx1 and t.col0 + t.width > bx0 and t.row0 < by1 and t.row0 + t.height > by0}
    assert expected and len(expected) < 6
    with open(failures_path(out), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(int(r["row"]), int(r["col"])) for r in rows} == expected
    assert all("IReadBlock" in r["error"] or "could not be read" in r["error"] for r in rows)
    assert {(f["row"], f["col"]) for f in result.failures} == expected and out.exists()
    log = RunFolder(out).read_log()
    assert sorted((e["row"], e["col"]) for e in log if e["event"] == "failed") == sorted(expected)
    assert len(done_events(out)) == 6 - len(expected)
    # nothing is answered where only failed tiles look (the whole last tile column here)
    grid_t = layout.grid.transform
    x_only = apply(grid_t, max(t.col0 + t.width for t in layout if (t.row, t.col) not in expected), 0)[0]
    assert result.features and all(g.bounds[2] <= x_only + 1e-6 for g, _ in result.features)
    RunFolder(out).remove()


def test_the_cli_runs_on_a_local_cluster(scene_path, tiny_model_dir, tmp_path, capsys):
    from segearth_engine.cli import main

    out = tmp_path / "cli.gpkg"
    code = main(["segment", str(scene_path), "--question", "where are the fields?", "--model", str(tiny_model_dir),
                 "--mode", "tiled", "--out", str(out), "--workers", "1", "--tiles-per-task", "3", "--quiet"])
    assert code == 0 and out.exists()
    text = capsys.readouterr().out
    assert "Dask" in text and "6 tile(s)" in text and "tiles/s" in text
    assert np.isfinite(float(text.split("tiles/s")[0].split()[-1]))
