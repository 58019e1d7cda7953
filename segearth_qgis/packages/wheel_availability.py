"""Whether the package index has a wheel of each binary package for this Python, asked before pip downloads anything.

Why: on a new Python (3.13, 3.14, ...) torch, onnxruntime or tokenizers may have no wheel yet; pip then fails only
after downloading everything else (GBs with torch's CUDA build), with "No matching distribution". The file lists of
the indexes pip will use (PEP 503 simple pages, through QGIS's proxy) or of the folder of wheels say it in seconds.
The tags are the running Python's (the plugin runs in QGIS's own Python, the one pip installs for).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: packages pip may only take as wheels (pip_plan.BINARY_ONLY) that QGIS never brings; numpy and scipy are QGIS's
CHECKED = ("torch", "onnxruntime", "onnxruntime-gpu", "tokenizers", "safetensors", "onnx")
PYPI_SIMPLE = "https://pypi.org/simple"


def _packaging():
    """`packaging` (Debian, OSGeo4W and the macOS app have it), else the copy inside pip (always there: pip runs)."""
    try:
        from packaging import requirements, tags, utils, version
    except ImportError:
        from pip._vendor.packaging import requirements, tags, utils, version
    return requirements, tags, utils, version


@dataclass(frozen=True)
class MissingWheel:
    requirement: str
    python: str  # "3.14"
    where: str  # the indexes or folder asked
    pythons_seen: tuple[str, ...]  # Pythons the matching releases have wheels for

    def message(self, platform: str) -> str:
        seen = f" (its wheels there are for Python {', '.join(self.pythons_seen)})" if self.pythons_seen else ""
        name = re.split(r"[<>=!~ \[;]", self.requirement, maxsplit=1)[0]
        return (f"No {name} wheel for Python {self.python} on {platform} at {self.where}{seen}: pip would fail "
                f"after downloading the rest. Use a QGIS whose Python has {name} wheels, or wait for a {name} "
                f"release for Python {self.python}.")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.files.append(unquote(urlsplit(href).path.rsplit("/", 1)[-1]))


def index_files(index: str, name: str, proxy: str | None = None, timeout: float = 15.0) -> list[str] | None:
    """File names on the index's PEP 503 page for `name`; None when the index does not answer (then we do not know)."""
    handlers = [urllib.request.ProxyHandler({"http": proxy, "https": proxy})] if proxy else []
    request = urllib.request.Request(f"{index.rstrip('/')}/{name}/", headers={"Accept": "text/html"})
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:  # nosec B310 # the https index pip itself will use
            page = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return [] if exc.code == 404 else None  # 404: the index has no such project at all
    except (OSError, ValueError):
        return None
    links = _Links()
    links.feed(page)
    return links.files


def folder_files(folder: Path, name: str) -> list[str]:
    """The wheels of `name` in a folder of wheels (make wheelhouse)."""
    prefix = re.sub(r"[-_.]+", "_", name).lower() + "-"
    return [p.name for p in Path(folder).glob("*.whl") if re.sub(r"[-_.]+", "_", p.name).lower().startswith(prefix)]


def supported_tags(python: tuple[int, int]) -> set:
    """The wheel tags this Python accepts (pip's own rules), for `python` on this machine's platform."""
    _, tags, _, _ = _packaging()
    return set(tags.cpython_tags(python_version=python)) | set(tags.compatible_tags(python_version=python))


def _fitting(requirement: str, files: Iterable[str], accepted: set) -> tuple[bool, set[str]]:
    requirements, _, utils, _ = _packaging()
    wanted = requirements.Requirement(requirement)
    fits, pythons, platforms = False, set(), {tag.platform for tag in accepted}
    for filename in files:
        try:
            name, version, _, tags = utils.parse_wheel_filename(filename)
        except (utils.InvalidWheelFilename, ValueError):
            continue  # an sdist or a stray file: not a wheel (pip is told --only-binary for these packages)
        if utils.canonicalize_name(name) != utils.canonicalize_name(wanted.name) or \
                not wanted.specifier.contains(version):
            continue
        pythons |= {f"{t.interpreter[2]}.{t.interpreter[3:]}" for t in tags
                    if re.fullmatch(r"cp3\d+", t.interpreter) and t.platform in platforms}  # on this OS and machine
        fits = fits or bool(set(tags) & accepted)
    return fits, pythons


def missing_wheels(requirements: Iterable[str], lister: Callable[[str], list[str] | None], where: str,
                   python: tuple[int, int]) -> list[MissingWheel]:
    """The checked requirements none of whose files fits this Python; `lister(name)` gives a package's file names
    (None when unknown: that package is not reported)."""
    accepted = supported_tags(python)
    missing = []
    for requirement in requirements:
        name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0]
        if name.lower() not in CHECKED:
            continue
        files = lister(name)
        if files is None:
            continue
        fits, pythons = _fitting(requirement, files, accepted)
        if not fits:
            ordered = tuple(sorted(pythons, key=lambda v: tuple(int(p) for p in v.split("."))))
            missing.append(MissingWheel(requirement, f"{python[0]}.{python[1]}", where, ordered))
    return missing


def index_lister(indexes: list[str], proxy: str | None = None) -> Callable[[str], list[str] | None]:
    """A package's files over all indexes pip will search; None when none of them answered."""
    def files(name: str) -> list[str] | None:
        answers = [index_files(index, name, proxy) for index in indexes]
        known = [answer for answer in answers if answer is not None]
        return [f for answer in known for f in answer] if known else None
    return files


def indexes_for(index_args: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """The indexes pip searches: those of the plan's --index-url/--extra-index-url, else pip's own (PIP_INDEX_URL,
    PIP_EXTRA_INDEX_URL) or PyPI."""
    args = list(index_args)
    main = next((args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--index-url"), None)
    extra = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--extra-index-url"]
    if main is None:
        main = env.get("PIP_INDEX_URL") or PYPI_SIMPLE
        extra += env.get("PIP_EXTRA_INDEX_URL", "").split()
    return [main, *[url for url in extra if url != main]]
