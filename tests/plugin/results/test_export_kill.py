"""QGIS killed (SIGKILL) in the middle of an export: the old file stays whole, and the next start of the plugin clears
the stage the dead export left beside it. Two real processes with one fresh profile (export_kill_probe.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shapely.geometry import box

REPO = Path(__file__).resolve().parents[3]
PROBE = Path(__file__).with_name("export_kill_probe.py")


def _probe(target: Path, action: str, home: Path) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QGIS_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, str(PROBE), str(REPO), str(target), action], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _line(child: subprocess.Popen, prefixes: tuple[str, ...], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(prefixes):
            return line.strip()
    child.kill()
    pytest.fail("no " + "/".join(prefixes) + " from the probe:\n" + "".join(seen[-30:]))


def test_a_kill_mid_export_keeps_the_old_file_and_the_next_start_clears_its_stage(tmp_path, engine_available):
    import fiona

    from segearth_engine.api import write_vector

    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "answer.gpkg"
    write_vector(target, [(box(0, 0, 1, 1), {"question": "old"})] * 2, "EPSG:32633", layer="q")
    before = target.read_bytes()
    home = tmp_path / "home"
    home.mkdir()

    child = _probe(target, "export", home)
    assert _line(child, ("STAGED", "DONE"), 600) == "STAGED"
    os.kill(child.pid, signal.SIGKILL)  # QGIS killed mid-write
    child.wait(30)
    stages = [p.name for p in folder.iterdir() if p.name.endswith(".segearth-tmp")]
    assert len(stages) == 1, stages  # what the kill left
    assert target.read_bytes() == before  # the old file is whole

    restart = _probe(target, "start", home)
    left = json.loads(_line(restart, ("LEFT ",), 300)[len("LEFT "):])
    restart.wait(60)
    assert left == ["answer.gpkg"]  # the next start cleared the dead export's stage
    assert target.read_bytes() == before
    with fiona.open(target, layer="q") as table:
        assert len(table) == 2
