"""Getting the official weights: Hugging Face repo id + pinned revision, sha256-checked, safetensors only.

The released repos do not publish file digests elsewhere, so the digests come from the hub's own LFS metadata for
the pinned revision, are checked against the downloaded bytes, and are written to `segearth_manifest.json` in the
model folder. Every later load compares file sizes with that manifest (cheap) and `segearth verify` re-hashes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from segearth_engine.errors import ModelFilesError
from segearth_engine.weights.checkpoint import sha256_of, verify_sha256

log = logging.getLogger(__name__)

MANIFEST_NAME = "segearth_manifest.json"
ALLOW_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "README.md")


@dataclass(frozen=True)
class ReleasedModel:
    repo_id: str
    revision: str | None
    task: str
    description: str
    sha256: dict[str, str] = field(default_factory=dict)


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


def _lfs_digests(repo_id: str, revision: str) -> tuple[str, dict[str, str]]:
    """The full commit sha of `revision` and the LFS sha256 of each weight file at that commit."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
    digests = {}
    for sibling in info.siblings or []:
        lfs = sibling.lfs
        sha = getattr(lfs, "sha256", None) if lfs is not None and not isinstance(lfs, dict) else (lfs or {}).get(
            "sha256")
        if sha and sibling.rfilename.endswith(".safetensors"):
            digests[sibling.rfilename] = sha
    return info.sha, digests


def download_model(repo_id: str, revision: str | None = None, dest: Path | None = None,
                   local_files_only: bool = False) -> Path:
    """Download (or find in the HF cache) a released model and check its digests. Returns the model folder.

    Online, the digests are the hub's LFS sha256 at the pinned commit (and must agree with any pinned here);
    offline, they come from the manifest written by the first verified download.
    """
    from huggingface_hub import snapshot_download

    release = RELEASED_MODELS.get(repo_id)
    revision = revision or (release.revision if release else None)
    if not revision:
        raise ModelFilesError(f"no pinned revision is known for {repo_id}: pass the commit to use (--revision)")
    expected = dict(release.sha256) if release else {}
    commit = revision
    try:
        if not local_files_only:
            commit, hub_digests = _lfs_digests(repo_id, revision)
            for name, sha in hub_digests.items():
                if expected.get(name, sha) != sha:
                    raise ModelFilesError(f"{repo_id}@{commit}: the hub's sha256 of {name} differs from the pinned one")
                expected[name] = sha
        folder = Path(snapshot_download(repo_id, revision=commit, local_dir=dest, allow_patterns=list(ALLOW_PATTERNS),
                                        local_files_only=local_files_only))
    except ModelFilesError:
        raise
    except Exception as exc:  # noqa: BLE001 - huggingface_hub raises many network/cache error types
        where = "the local cache" if local_files_only else "the Hugging Face hub"
        raise ModelFilesError(f"could not get {repo_id}@{revision} from {where}: {type(exc).__name__}: {exc}. "
                              "Download it on a connected machine and point the model folder at it") from None
    if local_files_only:
        manifest = read_manifest(folder) or {}
        expected.update({k: v["sha256"] for k, v in manifest.get("files", {}).items()})
        commit = manifest.get("revision", commit)
    if not expected:
        raise ModelFilesError(f"{repo_id}@{revision}: no sha256 digests are known for its weight files; refusing "
                              "to use unverified weights")
    verify_sha256(folder, expected)
    write_manifest(folder, repo_id, commit, expected)
    from segearth_engine.weights.digest_cache import remember

    for name, sha in expected.items():  # just hashed: the first load need not hash gigabytes again
        remember(folder / name, sha)
    return folder


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


def resolve_model_dir(model: str | Path, revision: str | None = None) -> Path:
    """A local folder as it is; a Hugging Face repo id through the pinned, sha256-checked download."""
    folder = local_model_folder(model)
    return folder if folder is not None else download_model(str(model), revision)
