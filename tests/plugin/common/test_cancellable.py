"""The pieces that let a run give up at once: a watched helper thread, a killable child process, and the native
libraries loaded without the GIL. Real threads, real processes, real libtorch."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from segearth_qgis.common.cancellable import Cancelled, ChildFailed, run_cancellable, run_child


def test_helper_value_and_exception_reach_the_caller():
    assert run_cancellable(lambda job: 41 + 1, lambda: False) == 42
    with pytest.raises(ZeroDivisionError):
        run_cancellable(lambda job: 1 / 0, lambda: False)


def test_cancel_gives_up_on_a_step_that_cannot_be_interrupted_and_the_next_run_waits_for_it():
    cancel = threading.Event()
    release = threading.Event()
    seen = []

    def stuck(job):  # a model load or an encoder run: no cancel check inside
        release.wait(10)
        seen.append(("first ended", time.monotonic()))
        job.progress("late")  # the caller is gone: dropped
        return "too late"

    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_cancellable(stuck, cancel.is_set, progress=seen.append)
    assert time.monotonic() - started < 0.2 + 0.5
    threading.Timer(0.5, release.set).start()
    value = run_cancellable(lambda job: seen.append(("second ran", time.monotonic())) or "ok", lambda: False)
    assert value == "ok"
    assert [name for name, _ in seen] == ["first ended", "second ran"]  # one engine run at a time


def test_job_asks_the_callers_flag_until_it_gives_up():
    flags = []
    run_cancellable(lambda job: flags.append(job.cancelled()), lambda: False)
    assert flags == [False]


def test_child_is_killed_within_the_poll_interval():
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_child([sys.executable, "-c", "import time; time.sleep(60)"], cancel.is_set)
    assert time.monotonic() - started < 0.3 + 0.5


def test_child_failure_carries_its_last_stderr_line():
    with pytest.raises(ChildFailed, match="^the weights are gone$") as info:
        code = "import sys; print('noise', file=sys.stderr); sys.exit('the weights are gone')"
        run_child([sys.executable, "-c", code], lambda: False)
    assert info.value.returncode == 1
    assert "ok" in run_child([sys.executable, "-c", "import sys; sys.stderr.write('ok')"], lambda: False)


PRELOAD_PROBE = """
import sys
from segearth_qgis.packages.heavy_imports import preload
loaded = preload()
maps = open('/proc/self/maps').read()
print('torch' in sys.modules, 'libtorch_cpu' in maps, any(p.endswith('.so') for p in loaded))
import torch
print(int((torch.ones(3) * 2).sum()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_native_libraries_are_loaded_before_the_import():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", PRELOAD_PROBE], capture_output=True, text=True, timeout=120,
                         check=True, cwd=repo).stdout.split()
    assert out == ["False", "True", "True", "6"]
