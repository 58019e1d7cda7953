"""`segearth download` as a user runs it, against the local hub: the hub address and proxy from the environment, a
corrupt file mended by the next run, a killed or interrupted run resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from segearth_engine.weights.resumable import partial_bytes
from tests.conftest import TINY_REPO
from tests.engine.commands.terminal import sigint_as_in_a_terminal

ENGINE = str(Path(__file__).resolve().parents[3] / "engine")


def cli_env(hub, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy",
                                                                    "all_proxy", "hf_token")}
    return {**env, "HF_ENDPOINT": hub.url, "PYTHONPATH": ENGINE, **extra}


def segearth(hub, dest: Path, **env) -> list[str]:
    return [sys.executable, "-m", "segearth_engine.cli", "download", TINY_REPO, "--revision", hub.commit[:10],
            "--dest", str(dest), "--no-export"]


def run(hub, dest: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(segearth(hub, dest), env=cli_env(hub, **env), capture_output=True, text=True, timeout=120,
                          check=False)


def test_a_wrong_byte_exits_3_and_the_next_run_from_a_good_hub_succeeds(local_hub, tmp_path):
    """The issue's defect: the corrupt file stayed under its final name and every later run failed the same way."""
    local_hub.faults.wrong_byte_at = 12345
    first = run(local_hub, tmp_path / "m")
    assert first.returncode == 3, first.stderr
    assert "model.safetensors: the downloaded bytes do not match" in first.stderr.splitlines()[-1]
    local_hub.faults.wrong_byte_at = -1
    second = run(local_hub, tmp_path / "m")
    assert second.returncode == 0, second.stderr
    assert f"{TINY_REPO}: verified in {tmp_path / 'm'}" in second.stdout


def test_proxy_from_the_environment_and_progress_on_stderr(local_hub, tmp_path):
    from tests.local_hub import LocalProxy

    with LocalProxy() as proxy:
        done = run(local_hub, tmp_path / "m", HTTP_PROXY=proxy.url_with_credentials())
        assert done.returncode == 0, done.stderr
        assert any("/cdn/" in target for _, target in proxy.hits)
        assert "22.1 MB of 23.5 MB" in done.stderr or "23.5 MB of 23.5 MB" in done.stderr, done.stderr
        refused = run(local_hub, tmp_path / "r", HTTP_PROXY=proxy.url_with_credentials(password="x"))
        assert refused.returncode == 3 and "407" in refused.stderr and "ann:***@" in refused.stderr
        assert "p%40ss" not in refused.stderr and "p@ss" not in refused.stderr


def start_slow(hub, dest: Path) -> subprocess.Popen:
    hub.faults.rate_bps = 3_000_000
    child = subprocess.Popen(segearth(hub, dest), env=cli_env(hub), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=sigint_as_in_a_terminal)
    deadline = time.monotonic() + 180  # the CLI's start (imports) alone can take a minute on a loaded machine
    while partial_bytes(dest) < 2_000_000 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert partial_bytes(dest) >= 2_000_000, "the download never got going"
    return child


def test_a_killed_download_resumes_where_it_stopped(local_hub, release_dir, tmp_path):
    """As after QGIS or the terminal was closed: nothing but the partial file on disk."""
    child = start_slow(local_hub, tmp_path / "m")
    child.kill()
    child.communicate(timeout=30)
    kept = partial_bytes(tmp_path / "m")
    assert kept >= 2_000_000
    local_hub.faults.rate_bps = 0
    done = run(local_hub, tmp_path / "m")
    assert done.returncode == 0, done.stderr
    assert local_hub.ranges_asked("/cdn/")[-1] == f"bytes={kept}-"
    assert (tmp_path / "m" / "model.safetensors").read_bytes() == (release_dir / "model.safetensors").read_bytes()


def test_ctrl_c_says_what_was_kept(local_hub, tmp_path):
    child = start_slow(local_hub, tmp_path / "m")
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert err.splitlines()[-1] == ("segearth: error: interrupted; what was fetched is kept: run the same command "
                                    "again to resume")
    assert partial_bytes(tmp_path / "m") >= 2_000_000
