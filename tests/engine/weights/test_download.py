"""The download against a real HTTP hub on 127.0.0.1 (tests/local_hub.py): progress, cancel, resume, digests, hub
errors, Retry-After, proxy and mirror address. Nothing here replaces the download code."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from segearth_engine.errors import Cancelled, DiskSpaceError, HubError, ModelFilesError
from segearth_engine.weights.hub import check_manifest, download_model
from segearth_engine.weights.hub_access import HubAccess
from segearth_engine.weights.resumable import PARTIAL_DIR, partial_bytes
from tests.conftest import TINY_REPO

WEIGHTS = "model.safetensors"


def download(hub, dest: Path, **options) -> Path:
    access = options.pop("access", None) or HubAccess(hub.url)
    return download_model(TINY_REPO, options.pop("revision", hub.commit), dest, access=access, **options)


def same_files(folder: Path, release: Path) -> bool:
    return all((folder / p.name).read_bytes() == p.read_bytes() for p in release.iterdir())


def test_download_reports_progress_and_verifies(local_hub, release_dir, tmp_path):
    seen = []
    folder = download(local_hub, tmp_path / "m", progress=seen.append)
    assert same_files(folder, release_dir)
    manifest = check_manifest(folder, full=True)
    assert manifest["revision"] == local_hub.commit and WEIGHTS in manifest["files"]
    total = sum(p.stat().st_size for p in release_dir.iterdir())
    assert {p.total_bytes for p in seen[1:]} == {total}
    assert [p.done_bytes for p in seen] == sorted(p.done_bytes for p in seen)
    assert seen[-1].stage == "done" and seen[-1].done_bytes == total
    assert any(p.stage == "downloading" and p.file == WEIGHTS for p in seen)
    assert not (folder / PARTIAL_DIR).exists()


def test_a_second_download_fetches_nothing(local_hub, tmp_path):
    download(local_hub, tmp_path / "m")
    before = len(local_hub.requests)
    download(local_hub, tmp_path / "m")
    assert [r["kind"] for r in local_hub.requests[before:]] == ["api"]


def cancel_after(seconds: float):
    flag = {"at": None}

    def fire():
        flag["at"] = time.monotonic()

    threading.Timer(seconds, fire).start()
    return flag, lambda: flag["at"] is not None


def test_slow_transfer_shows_rate_and_time_left_cancels_within_2s_and_resumes(local_hub, release_dir, tmp_path):
    local_hub.faults.rate_bps = 4_000_000
    seen, stamps = [], []
    flag, is_cancelled = cancel_after(2.5)

    def progress(p):
        seen.append(p)
        stamps.append(time.monotonic())

    with pytest.raises(Cancelled):
        download(local_hub, tmp_path / "m", progress=progress, is_cancelled=is_cancelled)
    stopped = time.monotonic()
    assert stopped - flag["at"] < 2.0  # within 2 s of the cancel (0.1 s watch in practice)
    moving = [p for p in seen if p.stage == "downloading" and p.rate_bps > 0]
    assert moving and 1.5e6 < moving[-1].rate_bps < 8e6, moving[-1]
    assert moving[-1].eta_s is not None and moving[-1].eta_s > 1
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) < 1.0  # reported at least once a second while it ran
    kept = partial_bytes(tmp_path / "m")
    assert 1_000_000 < kept < (release_dir / WEIGHTS).stat().st_size
    assert not (tmp_path / "m" / WEIGHTS).exists()

    local_hub.faults.rate_bps = 0
    folder = download(local_hub, tmp_path / "m")
    assert same_files(folder, release_dir)
    assert local_hub.ranges_asked("/cdn/")[-1] == f"bytes={kept}-"


def test_dropped_connection_resumes_with_a_range_request(local_hub, release_dir, tmp_path):
    local_hub.faults.drop_after, local_hub.faults.drops = 5_000_000, 1
    folder = download(local_hub, tmp_path / "m")
    assert same_files(folder, release_dir)
    assert local_hub.ranges_asked("/cdn/") == ["", "bytes=5000000-"]
    assert all(r["if_range"] for r in local_hub.requests if r["range"])  # resumed only if the file is unchanged


def test_a_wrong_byte_removes_the_file_and_the_next_download_mends_it(local_hub, release_dir, tmp_path):
    local_hub.faults.wrong_byte_at = 1000
    with pytest.raises(ModelFilesError, match=f"{WEIGHTS}: the downloaded bytes do not match.*has been removed"):
        download(local_hub, tmp_path / "m")
    assert not (tmp_path / "m" / WEIGHTS).exists() and partial_bytes(tmp_path / "m") == 0
    local_hub.faults.wrong_byte_at = -1
    assert same_files(download(local_hub, tmp_path / "m"), release_dir)


def test_a_corrupt_file_left_by_an_older_download_is_fetched_again(local_hub, release_dir, tmp_path):
    folder = download(local_hub, tmp_path / "m")
    data = bytearray((folder / WEIGHTS).read_bytes())
    data[1000] ^= 0xFF
    (folder / WEIGHTS).write_bytes(bytes(data))  # what the huggingface_hub download left under the final name
    assert same_files(download(local_hub, tmp_path / "m"), release_dir)


def test_unknown_revision_is_a_404_that_names_it(local_hub, tmp_path):
    with pytest.raises(HubError, match="revision 0badc0ffee of org/tiny was not found at http://127.0.0.1"):
        download(local_hub, tmp_path / "m", revision="0badc0ffee")
    with pytest.raises(HubError, match="org/nothing@main was not found"):
        download_model("org/nothing", "main", tmp_path / "n", access=HubAccess(local_hub.url))


def test_401_asks_for_a_token_and_the_token_stays_on_the_hub_host(local_hub, release_dir, tmp_path):
    local_hub.token = "hf_secret"
    with pytest.raises(HubError, match="refused access to org/tiny \\(401\\).*token"):
        download(local_hub, tmp_path / "m")
    folder = download(local_hub, tmp_path / "m", access=HubAccess(local_hub.url, token="hf_secret"))
    assert same_files(folder, release_dir)
    hub_requests = [r for r in local_hub.requests if not r["path"].startswith("/cdn/")]
    cdn_requests = [r for r in local_hub.requests if r["path"].startswith("/cdn/")]
    assert hub_requests[-1]["auth"] == "Bearer hf_secret"
    assert cdn_requests and all(r["auth"] == "" for r in cdn_requests)  # the CDN host never sees the token


def test_429_waits_as_long_as_retry_after_says(local_hub, release_dir, tmp_path):
    local_hub.faults.rate_limited, local_hub.faults.retry_after_s = 2, 1
    seen = []
    start = time.monotonic()
    assert same_files(download(local_hub, tmp_path / "m", progress=seen.append), release_dir)
    assert time.monotonic() - start >= 2.0
    assert [p.note for p in seen if p.stage == "waiting"][:1] == ["the hub asked to wait 1 s"]


def test_a_long_retry_after_is_not_waited_for_and_a_wait_can_be_cancelled(local_hub, tmp_path):
    local_hub.faults.rate_limited, local_hub.faults.retry_after_s = 1, 3600
    with pytest.raises(HubError, match="asks to wait 3600 s.*download again later"):
        download(local_hub, tmp_path / "m")
    local_hub.faults.rate_limited, local_hub.faults.retry_after_s = 1, 60
    flag, is_cancelled = cancel_after(0.5)
    with pytest.raises(Cancelled):
        download(local_hub, tmp_path / "m", is_cancelled=is_cancelled)
    assert time.monotonic() - flag["at"] < 2.0


def test_room_for_the_download_and_the_first_load_is_checked_before_the_weights(local_hub, tmp_path):
    def first_load(folder: Path, checkpoint: int):
        assert (folder / "config.json").is_file() and checkpoint > 20_000_000
        return [("ONNX graphs", 10**15), ("the prepared language model", 2 * 10**15)]

    with pytest.raises(DiskSpaceError, match=r"needs 22.1 MB more and the first load writes 3000.0 TB beside it \(ONNX "
                                             r"graphs 1000.0 TB, the prepared language model 2000.0 TB\), 3000.0 TB in "
                                             r"all, but .* are free. Free .* or choose another folder"):
        download(local_hub, tmp_path / "m", first_load=first_load)
    assert not local_hub.ranges_asked("/cdn/")  # no weight byte was fetched


def test_through_a_proxy_with_basic_auth(local_hub, release_dir, tmp_path):
    from tests.local_hub import LocalProxy

    with LocalProxy() as proxy:
        access = HubAccess(local_hub.url, proxy=proxy.url_with_credentials())
        assert same_files(download(local_hub, tmp_path / "m", access=access), release_dir)
        assert any(method == "GET" and "/cdn/" in target for method, target in proxy.hits)
        wrong = HubAccess(local_hub.url, proxy=proxy.url_with_credentials(password="nope"))
        with pytest.raises(HubError, match="proxy http://ann:\\*\\*\\*@127.0.0.1.*407"):
            download(local_hub, tmp_path / "w", access=wrong)
        hits = len(proxy.hits)
        bypass = HubAccess(local_hub.url, proxy=proxy.url_with_credentials(), no_proxy="localhost,127.0.0.1")
        download(local_hub, tmp_path / "b", access=bypass)
        assert len(proxy.hits) == hits


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    from tests.local_hub import self_signed_certificate

    made = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("openssl is not installed")
    return made


def test_https_hub_through_the_proxy_tunnel(release_dir, tmp_path, certificate):
    from tests.local_hub import LocalHub, LocalProxy

    with LocalHub(tls=certificate) as hub, LocalProxy() as proxy:
        hub.commit = hub.add_repo(TINY_REPO, release_dir)
        access = HubAccess(hub.url, proxy=proxy.url_with_credentials(), ca_file=str(certificate[0]))
        assert same_files(download(hub, tmp_path / "m", access=access), release_dir)
        assert ("CONNECT", f"127.0.0.1:{hub.url.rsplit(':', 1)[1]}") in proxy.hits
        assert any(method == "CONNECT" and target.startswith("localhost:") for method, target in proxy.hits)
        with pytest.raises(HubError, match="secure connection to 127.0.0.1.*through the proxy.*certificate"):
            download(hub, tmp_path / "u", access=HubAccess(hub.url, proxy=proxy.url_with_credentials()))


def test_unreachable_hub_says_where_it_tried(tmp_path):
    with pytest.raises(HubError, match="could not reach 127.0.0.1:9: .*Check the network, the proxy settings"):
        download_model(TINY_REPO, "main", tmp_path / "m", access=HubAccess("http://127.0.0.1:9"),
                       is_cancelled=None)


def test_access_from_the_environment():
    env = {"HF_ENDPOINT": "https://hf-mirror.example/", "HF_TOKEN": "t", "HTTPS_PROXY": "http://u:p@proxy:3128",
           "HTTP_PROXY": "http://other:1", "NO_PROXY": "localhost,.corp"}
    access = HubAccess.from_environment(env)
    assert access.endpoint == "https://hf-mirror.example" and access.token == "t"
    assert access.proxy_for("https://hf-mirror.example/x") == "http://u:p@proxy:3128"
    assert access.proxy_for("http://files.corp/x") is None and access.proxy_for("http://localhost:8/") is None
    assert HubAccess.from_environment({"HF_ENDPOINT": "http://h", "HTTP_PROXY": "http://o:1"}).proxy == "http://o:1"
    with pytest.raises(HubError, match="only HTTP proxies"):
        HubAccess(proxy="socks5://s:1080")
    with pytest.raises(HubError, match="not an http"):
        HubAccess("ftp://mirror")
