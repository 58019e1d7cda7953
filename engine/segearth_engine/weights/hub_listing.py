"""What a repo holds at a revision, as the hub's API says it: the full commit, and every file with its size and
digest (the LFS sha256 of a weight file, the git blob id of a small one). The same API is answered by mirrors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from urllib.parse import quote

from segearth_engine.errors import HubError
from segearth_engine.weights.http_client import HubStatusError, TransientError, open_url
from segearth_engine.weights.hub_access import HubAccess
from segearth_engine.weights.resumable import MAX_ATTEMPTS, Digest, retry_delay
from segearth_engine.weights.transfer_meter import TransferMeter

ALLOW_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "README.md")
MAX_LISTING_BYTES = 8 << 20


@dataclass(frozen=True)
class RepoFile:
    name: str
    size: int
    digest: Digest

    @property
    def is_weights(self) -> bool:
        return self.name.endswith(".safetensors")


def file_url(access: HubAccess, repo_id: str, commit: str, name: str) -> str:
    return f"{access.endpoint}/{repo_id}/resolve/{commit}/{quote(name)}"


def _refusal(exc: HubStatusError, repo_id: str, revision: str, endpoint: str) -> HubError:
    """What a 401/403/404 from the listing means for the user."""
    if exc.status == 404 and exc.code == "RevisionNotFound":
        return HubError(f"revision {revision} of {repo_id} was not found at {endpoint} (404): the pinned commit is not "
                        "there (a mirror that has not caught up?)")
    if exc.status == 404:
        return HubError(f"{repo_id}@{revision} was not found at {endpoint} (404): check the repo id and the hub "
                        "address")
    if exc.status in (401, 403):
        return HubError(f"{endpoint} refused access to {repo_id} ({exc.status}): the repo is private or gated, or "
                        "the Hugging Face token (HF_TOKEN) is missing or wrong")
    return HubError(f"{endpoint} could not list {repo_id}@{revision}: {exc}")


def list_repo(repo_id: str, revision: str, access: HubAccess, meter: TransferMeter,
              is_cancelled: Callable[[], bool] | None = None) -> tuple[str, list[RepoFile]]:
    """(full commit sha, files matching ALLOW_PATTERNS) of `repo_id` at `revision`; retried like a transfer."""
    url = f"{access.endpoint}/api/models/{repo_id}/revision/{quote(revision, safe='')}?blobs=true"
    attempt = 0
    while True:
        try:
            with open_url(url, access, {"Accept": "application/json"}, is_cancelled) as response:
                body = bytearray()
                while block := response.read(1 << 16):
                    body += block
                    if len(body) > MAX_LISTING_BYTES:
                        raise HubError(f"{access.endpoint} sent more than {MAX_LISTING_BYTES} bytes for a repo listing")
            break
        except HubStatusError as exc:
            raise _refusal(exc, repo_id, revision, access.endpoint) from None
        except TransientError as exc:
            attempt += 1
            if attempt > MAX_ATTEMPTS:
                raise HubError(f"could not list {repo_id}@{revision} at {access.endpoint}: {exc}") from None
            retry_delay(exc, attempt, is_cancelled, meter)
            meter.set("connecting")
    return _parse_listing(bytes(body), repo_id, revision, access.endpoint)


def _parse_listing(body: bytes, repo_id: str, revision: str, endpoint: str) -> tuple[str, list[RepoFile]]:
    try:
        info = json.loads(body)
        commit, siblings = str(info["sha"]), info.get("siblings") or []
    except (ValueError, KeyError, TypeError):
        raise HubError(f"{endpoint} did not answer like a model hub for {repo_id}@{revision} (is the hub address "
                       "right?)") from None
    files = []
    for entry in siblings:
        name = entry.get("rfilename", "") if isinstance(entry, dict) else ""
        if not any(fnmatch(name, pattern) for pattern in ALLOW_PATTERNS) or "/" in name:
            continue
        lfs = entry.get("lfs") or {}
        if isinstance(lfs, dict) and lfs.get("sha256"):
            files.append(RepoFile(name, int(lfs.get("size", entry.get("size", 0))), Digest("sha256", lfs["sha256"])))
        elif entry.get("blobId") and isinstance(entry.get("size"), int):
            files.append(RepoFile(name, entry["size"], Digest("git-sha1", entry["blobId"])))
        elif name.endswith(".safetensors"):
            raise HubError(f"{endpoint} lists {name} of {repo_id}@{commit} without its sha256; refusing to use "
                           "unverified weights")
    if not any(f.is_weights for f in files):
        raise HubError(f"{repo_id}@{commit} at {endpoint} holds no safetensors weights")
    return commit, files
