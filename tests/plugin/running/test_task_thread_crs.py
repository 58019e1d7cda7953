"""CRS parsing on QGIS's task threads, which get a fresh Python thread state for every task.

pyproj 3.7.0-3.7.1 (Debian 13's QGIS 3.40) freed a thread's PROJ context with its thread state but kept handing it out
on that OS thread: the second task on a pool thread crashed QGIS. Run in a child process, so that a crash is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

CHILD = """
import threading
import time
from qgis.PyQt.QtCore import QCoreApplication, QRunnable, QThreadPool
from segearth_engine.geo.crs import parse_crs

app = QCoreApplication([])
pool = QThreadPool()
pool.setMaxThreadCount(1)
pool.setExpiryTimeout(-1)  # one OS thread for every job, each job a new thread state (as QgsTask runs)
names, threads = [], set()


class Job(QRunnable):
    def run(self):
        crs = parse_crs("EPSG:32618")
        names.append(crs.name)
        threads.add(threading.get_native_id())
        del crs


jobs = [Job() for _ in range(4)]
for job in jobs:
    job.setAutoDelete(False)
    pool.start(job)
    while pool.activeThreadCount():  # not waitForDone(): it ends the pool's threads
        time.sleep(0.01)
print(len(threads), len(names), names[-1])
"""


def test_a_crs_parsed_again_on_the_same_task_thread():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "engine"), str(REPO)]),
           "QT_QPA_PLATFORM": "offscreen", "MALLOC_PERTURB_": "165"}  # glibc: freed memory is overwritten at once
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"child ended with {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.split() == ["1", "4", "WGS", "84", "/", "UTM", "zone", "18N"]
