"""The scoring and question-set algorithms from `qgis_process` (Debian: qgis_process.bin with GRASS's libraries on
LD_LIBRARY_PATH): the plugin installed in a throwaway profile, loaded through its initProcessing()."""

from __future__ import annotations

import csv
import json
import os
import shutil
import site
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
QGIS_PROCESS = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process is not installed")


@pytest.fixture(scope="module")
def qgis_process_env(tmp_path_factory) -> dict:
    """Environment for qgis_process: a profile with the plugin (linked from the source tree) enabled, and this
    interpreter's packages (the engine, torch, ...) on PYTHONPATH."""
    root = tmp_path_factory.mktemp("qgis-profile")
    profile = root / "profiles" / "default"
    plugin = profile / "python" / "plugins" / "segearth_qgis"
    plugin.mkdir(parents=True)
    for item in list((REPO / "segearth_qgis").iterdir()) + [REPO / "metadata.txt", REPO / "resources"]:
        if item.name != "__pycache__":
            (plugin / item.name).symlink_to(item)
    (profile / "QGIS").mkdir()
    (profile / "QGIS" / "QGIS3.ini").write_text("[PythonPlugins]\nsegearth_qgis=true\n", encoding="utf-8")
    paths = [str(REPO / "engine"), str(REPO)] + site.getsitepackages()
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(root), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)))
    grass = Path("/usr/lib/grass82/lib")
    if grass.is_dir():
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(grass), env.get("LD_LIBRARY_PATH")]))
    return env


def _run(env: dict, algorithm: str, **parameters) -> dict:
    args = [QGIS_PROCESS, "run", algorithm, "--json", "--"] + [f"{k}={v}" for k, v in parameters.items()]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout[done.stdout.index("{"):])


def test_score_against_reference_from_qgis_process(qgis_process_env, tmp_path):
    import fiona
    from shapely.geometry import box, mapping

    schema = {"geometry": "Polygon", "properties": {"name": "str"}}
    for name, boxes in (("answer", [box(0, 0, 20, 20)]), ("reference", [box(10, 0, 30, 20)])):
        with fiona.open(tmp_path / f"{name}.gpkg", "w", driver="GPKG", crs="EPSG:32633", schema=schema) as sink:
            for shape in boxes:
                sink.write({"geometry": mapping(shape), "properties": {"name": name}})
    out = tmp_path / "outcomes.gpkg"
    result = _run(qgis_process_env, "segearth:scoreagainstreference", ANSWER=tmp_path / "answer.gpkg",
                  REFERENCE=tmp_path / "reference.gpkg", OUTPUT=out)
    assert result["results"]["IOU"] == pytest.approx(1 / 3, abs=1e-5)  # two 20 m squares overlapping by half
    assert (result["results"]["MISSED"], result["results"]["FALSE_ALARMS"]) == (1, 1)
    with fiona.open(out) as layer:
        assert sorted(f["properties"]["status"] for f in layer) == ["false_alarm", "missed"]


def test_answer_question_set_from_qgis_process(qgis_process_env, tiny_model, data_dir, tmp_path):
    table = tmp_path / "questions.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "minx", "miny", "maxx", "maxy"])
        writer.writerow(["r1", "open flat ground", 793003, 2049282, 794003, 2050282])
        writer.writerow(["r2", "roads", 0, 0, 10, 10])  # outside the raster: reported and skipped
    out = tmp_path / "answers.gpkg"
    result = _run(qgis_process_env, "segearth:answerquestionset", RASTER=data_dir / "rgbn.tif", QUESTIONS=table,
                  MODEL=tiny_model, OUTPUT=out)
    assert (result["results"]["ROWS"], result["results"]["ANSWERED"], result["results"]["FAILED"]) == (2, 1, 1)
    import fiona

    with fiona.open(out) as layer:
        assert {f["properties"]["row_id"] for f in layer} == {"r1"}
