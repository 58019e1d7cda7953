"""Shared fixtures: tiny random models in the official layout, built once per session with a fixed seed; small real
file systems (a full disk is the kernel's ENOSPC, never a mocked writer)."""

import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
DATA = TESTS / "data"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_onnx_segmenter(tiny_model_dir):
    from segearth_engine.models.r1.segmenter import Segmenter

    return Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")


@pytest.fixture(scope="session")
def tiny_torch_segmenter(tiny_model_dir):
    from segearth_engine.models.r1.segmenter import Segmenter

    return Segmenter.from_pretrained(tiny_model_dir, backend="torch", device="cpu")


@contextmanager
def mounted_tmpfs(mount: Path, size: str = "256k", read_only: bool = False):
    """A tmpfs of `size` at `mount` (created) for the block: a real small or read-only disk. Skips where mounting is
    not permitted."""
    mount.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not permitted'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs: a real full disk (ENOSPC from the kernel), not a simulated one."""
    with mounted_tmpfs(tmp_path / "small") as mount:
        yield mount


#: the repo id the local hub serves the tiny model under in the download tests
TINY_REPO = "org/tiny"


@pytest.fixture(scope="session")
def release_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model's files as a released repo holds them (no manifest, no graphs)."""
    from tests.local_hub import release_copy

    return release_copy(tiny_model_dir, tmp_path_factory.mktemp("release") / "tiny")


@pytest.fixture()
def local_hub(release_dir):
    """A model hub on 127.0.0.1 serving the tiny model as TINY_REPO (tests/local_hub.py); `.commit` is its commit."""
    from tests.local_hub import LocalHub

    with LocalHub() as hub:
        hub.commit = hub.add_repo(TINY_REPO, release_dir)
        yield hub
