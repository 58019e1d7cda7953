"""Getting the official weights: Hugging Face repo id + pinned revision, sha256-checked, safetensors only.

The released repos do not publish file digests elsewhere, so the digests come from the hub's own LFS metadata for
the pinned revision, are checked against the downloaded bytes, and are written to `segearth_manifest.json` in the
model folder. Every later load compares file sizes with that manifest (cheap) and `segearth verify` re-hashes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from segearth_engine.errors import ModelFilesError
from segearth_engine.weights.checkpoint import sha256_of, verify_sha256
from segearth_engine.weights.digest_cache import file_sha256, remember
from segearth_engine.weights.disk_space import check_room
from segearth_engine.weights.hub_access import HubAccess
from segearth_engine.weights.hub_listing import RepoFile, file_url, list_repo
from segearth_engine.weights.resumable import fetch_file, partial_bytes
from segearth_engine.weights.transfer_meter import DownloadProgress, TransferMeter

log = logging.getLogger(__name__)

MANIFEST_NAME = "segearth_manifest.json"


@dataclass(frozen=True)
class ReleasedModel:
    repo_id: str
    revision: str | None
    task: str
    description: str
    sha256: dict[str, str] = field(default_factory=dict)
    #: about how many bytes the download is, for what a user reads before it starts (the hub's listing gives the
    #: exact figure once it runs): the full-size SegEarth-R1 checkpoint as measured in the release layout (3.181 GB)
    #: plus tokenizer and config (tests/engine/models/test_first_load.py)
    download_bytes: int = 3_182_500_000


# Revisions are commits seen on the hub when this release was prepared (a repo id not listed here must be given
# a revision). Digests are filled from the hub's LFS metadata on first download (this build machine cannot reach the
# hub) and enforced here once recorded.
RELEASED_MODELS: dict[str, ReleasedModel] = {
    m.repo_id: m
    for m in (
        ReleasedModel("earth-insights/SegEarth-R1-EarthReason", "d0ca5c4", "reasoning",
                      "SegEarth-R1 trained on EarthReason (implicit questions)"),
        ReleasedModel("earth-insights/SegEarth-R1-RRSIS-D",
                      "01545f816f102fdda32243948b9a905d2f72a9bf",  # pragma: allowlist secret - a public pinned commit
                      "referring",
                      "SegEarth-R1 trained on RRSIS-D (referring expressions)"),
    )
}


FirstLoad = Callable[[Path, int], Sequence[tuple[str, int]]]  # (folder, checkpoint bytes) -> (what, bytes)


def hub_cache() -> Path:
    """Hugging Face's cache folder, found as its own tools find it (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(home).expanduser() / "hub"


def snapshot_folder(repo_id: str, commit: str) -> Path:
    """Where Hugging Face's tools keep `repo_id` at `commit` (the default place of a download)."""
    return hub_cache() / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit


def _cached_snapshot(repo_id: str, revision: str) -> Path:
    """The cached snapshot of `repo_id` at `revision` (a commit, a prefix of one, or a ref such as main)."""
    repo = hub_cache() / f"models--{repo_id.replace('/', '--')}"
    ref = repo / "refs" / revision
    commit = ref.read_text(encoding="utf-8").strip() if ref.is_file() else revision
    snapshots = sorted(p for p in (repo / "snapshots").glob("*") if p.is_dir() and p.name.startswith(commit))
    if len(snapshots) != 1:
        raise ModelFilesError(f"could not get {repo_id}@{revision} from the local cache ({repo}): it was not "
                              "downloaded on this machine. Download it on a connected machine and point the model "
                              "folder at it")
    return snapshots[0]


def _offline(repo_id: str, revision: str, dest: Path | None, expected: dict[str, str]) -> Path:
    folder = dest if dest is not None else _cached_snapshot(repo_id, revision)
    manifest = read_manifest(folder) or {}
    expected.update({k: v["sha256"] for k, v in manifest.get("files", {}).items()})
    if not expected:
        raise ModelFilesError(f"{repo_id}@{revision}: no sha256 digests are known for its weight files; refusing "
                              "to use unverified weights")
    verify_sha256(folder, expected)
    write_manifest(folder, repo_id, manifest.get("revision", revision), expected)
    return folder


def download_model(repo_id: str, revision: str | None = None, dest: Path | None = None,
                   local_files_only: bool = False, *, access: HubAccess | None = None,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   is_cancelled: Callable[[], bool] | None = None, first_load: FirstLoad | None = None) -> Path:
    """Download a released model (or find it in the local cache) and check every file. Returns the model folder:
    `dest`, else Hugging Face's snapshot folder for the commit.

    Online the digests are the hub's (LFS sha256 of each weight file, which must agree with any pinned here; git
    blob id of the small files). `access`: hub address, token and proxy (default: from the environment).
    `progress(DownloadProgress)` is called a few times a second; `is_cancelled()` stops the transfer within a
    fraction of a second (Cancelled), keeping what was fetched for the next call to resume. Before the weights
    are fetched, the disk must have room for them and for what `first_load(folder, checkpoint bytes)` lists
    ((what, bytes); the config and small files are there by then), else DiskSpaceError with the numbers."""
    release = RELEASED_MODELS.get(repo_id)
    revision = revision or (release.revision if release else None)
    if not revision:
        raise ModelFilesError(f"no pinned revision is known for {repo_id}: pass the commit to use (--revision)")
    expected = dict(release.sha256) if release else {}
    if local_files_only:
        return _offline(repo_id, revision, dest, expected)
    access = access or HubAccess.from_environment()
    meter = TransferMeter(0, progress)
    meter.set("connecting")
    commit, files = list_repo(repo_id, revision, access, meter, is_cancelled)
    for item in files:
        if item.is_weights and expected.get(item.name, item.digest.value) != item.digest.value:
            raise ModelFilesError(f"{repo_id}@{commit}: the hub's sha256 of {item.name} differs from the pinned one")
    folder = Path(dest) if dest is not None else snapshot_folder(repo_id, commit)
    folder.mkdir(parents=True, exist_ok=True)
    _fetch_all(repo_id, commit, files, folder, access, meter, is_cancelled, first_load)
    digests = {f.name: f.digest.value for f in files if f.is_weights}
    write_manifest(folder, repo_id, commit, digests)
    if dest is None and revision != commit:  # as Hugging Face's tools do: the revision asked for names the commit
        (folder.parents[1] / "refs").mkdir(exist_ok=True)
        (folder.parents[1] / "refs" / revision).write_text(commit, encoding="utf-8")
    meter.set("done", file="")
    return folder


def _fetch_all(repo_id: str, commit: str, files: list[RepoFile], folder: Path, access: HubAccess,
               meter: TransferMeter, is_cancelled, first_load: FirstLoad | None) -> None:
    """Small files first (the config tells how much the first load writes), then room checked, then the weights."""
    meter.total = sum(f.size for f in files)
    todo = [f for f in files if not _complete(folder / f.name, f)]
    meter.add(meter.total - sum(f.size for f in todo))
    for item in [f for f in todo if not f.is_weights]:
        fetch_file(file_url(access, repo_id, commit, item.name), folder / item.name, item.size, item.digest, access,
                   meter, is_cancelled)
    weights = [f for f in todo if f.is_weights]
    kept = partial_bytes(folder)
    checkpoint = sum(f.size for f in files if f.is_weights)
    check_room(folder, sum(f.size for f in weights) - kept, first_load(folder, checkpoint) if first_load else (), kept)
    for item in weights:
        fetch_file(file_url(access, repo_id, commit, item.name), folder / item.name, item.size, item.digest, access,
                   meter, is_cancelled)
        remember(folder / item.name, item.digest.value)  # just hashed: the first load need not hash it again


def _complete(path: Path, item: RepoFile) -> bool:
    """True when `path` is already this file; a file of the right size with other bytes is removed (a download
    left corrupt by an older version, or a file edited by hand) so that it is fetched anew."""
    if not path.is_file():
        return False
    if path.stat().st_size == item.size:
        if item.digest.kind == "sha256":
            actual = file_sha256(path)
        else:
            hasher = item.digest.hasher(item.size)
            hasher.update(path.read_bytes())
            actual = hasher.hexdigest()
        if actual == item.digest.value.lower():
            return True
    log.warning("%s differs from the hub's %s; fetching it again", path, item.name)
    path.unlink()
    return False


def write_manifest(folder: Path, repo_id: str, revision: str, digests: dict[str, str]) -> None:
    files = {name: {"sha256": sha, "size": (folder / name).stat().st_size} for name, sha in digests.items()}
    manifest = {"repo_id": repo_id, "revision": revision, "files": files}
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, its structure checked and every listed path confined to the folder; None if absent."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ModelFilesError(f"{path} is corrupt ({exc}); download the model again") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise ModelFilesError(f"{path} is corrupt (no 'files' object); download the model again")
    for name, entry in files.items():
        confined_name(folder, name, path)
        sha, size = (entry.get("sha256"), entry.get("size")) if isinstance(entry, dict) else (None, None)
        if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdefABCDEF" for c in sha)):
            raise ModelFilesError(f"{path}: the sha256 of {name!r} is not a 64-digit hex digest")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ModelFilesError(f"{path}: the size of {name!r} is not a byte count")
    return manifest


def confined_name(folder: Path, name: object, manifest: Path) -> Path:
    """`folder / name` for a plain relative path inside the folder; absolute paths, '..', drives are refused."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        raise ModelFilesError(f"{manifest}: {name!r} is not a file name inside the model folder")
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts or ":" in parts[0]:
        raise ModelFilesError(f"{manifest}: {name!r} points outside the model folder; only files inside it may be "
                              "listed")
    target = (folder / name).resolve()
    if folder.resolve() not in target.parents:
        raise ModelFilesError(f"{manifest}: {name!r} resolves outside the model folder (a link?)")
    return target


def check_manifest(folder: Path, full: bool = False) -> dict | None:
    """Compare the folder with its manifest: sizes always, sha256 when `full`. Returns the manifest or None."""
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    for name, entry in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise ModelFilesError(f"{path} is missing; download the model again")
        if path.stat().st_size != entry["size"]:
            raise ModelFilesError(f"{path} has {path.stat().st_size} bytes, expected {entry['size']}: the file is "
                                  "truncated or was replaced; download the model again")
        if full and sha256_of(path) != entry["sha256"]:
            raise ModelFilesError(f"{path}: sha256 differs from the manifest; the file is corrupt")
    return manifest


def local_model_folder(model: str | Path) -> Path | None:
    """The model folder when `model` names one; None for a Hugging Face repo id; ModelFilesError when it is
    neither."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    text = str(model)
    if text.count("/") == 1 and not text.startswith((".", "/", "~")) and not path.exists():
        return None
    raise ModelFilesError(f"model folder {model} does not exist (nor is it a Hugging Face repo id)")


def resolve_model_dir(model: str | Path, revision: str | None = None, first_load: FirstLoad | None = None) -> Path:
    """A local folder as it is; a Hugging Face repo id through the pinned, sha256-checked download (hub address and
    proxy from the environment)."""
    folder = local_model_folder(model)
    return folder if folder is not None else download_model(str(model), revision, first_load=first_load)
