"""The pip run that installs what the plugin needs: requirements, constraints, index, proxy, and its failure cause.

pip installs into a staging folder next to the private folder (`--target`), pinned to the versions of the packages
QGIS's own Python ships (numpy, the geo stack, PyQt), so nothing resolved needs another copy of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .torch_choice import TorchChoice

#: import name -> requirement pip may install into the private folder (torch and onnxruntime come from TorchChoice)
PIP_REQUIREMENTS = {
    "qtpy": "qtpy>=2.0",
    "transformers": "transformers>=5.0,<6",
    "tokenizers": "tokenizers",
    "safetensors": "safetensors",
    "huggingface_hub": "huggingface_hub",
    "tqdm": "tqdm",
    "onnx": "onnx>=1.16",
    "onnxscript": "onnxscript",
    "affine": "affine",
    "scipy": "scipy",
}
#: distributions QGIS's Python brings that the private folder must never hold a second copy of: numpy (QGIS's GDAL
#: bindings are built on it), the geo stack on QGIS's GDAL/GEOS/PROJ, Qt
PROTECTED = ("numpy", "gdal", "rasterio", "shapely", "pyproj", "fiona", "pyqt5", "pyqt6", "pyqt5-sip", "pyqt6-sip",
             "sip", "qscintilla", "scipy", "matplotlib", "pandas", "pillow")
BINARY_ONLY = "torch,onnxruntime,onnxruntime-gpu,numpy,scipy,tokenizers,safetensors,onnx"


def normalise(name: str) -> str:
    """PEP 503 name: 'PyQt5_sip' -> 'pyqt5-sip'."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class InstallPlan:
    python: str
    target: Path  # the private folder the plugin puts first on sys.path
    staging: Path  # pip's --target; swapped in for `target` only when pip succeeded
    command: list[str]
    torch: TorchChoice
    source: str  # where packages come from, in words
    packages: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # said before Install (install_preflight: e.g. a shorter folder on Windows)
    blockers: tuple[str, ...] = ()  # why pip would fail here (a wheel missing for this Python): Install stays off
    usual_target: Path | None = None  # the folder the plugin looks in first; a pointer there names `target`


def constraints_text(system_versions: Mapping[str, str]) -> str:
    """Pins for the protected distributions QGIS's Python has: numpy stays the one QGIS's GDAL was built for, 1.x
    (QGIS 3.22-3.34) or 2.x (3.40+); the engine runs on both."""
    lines = [f"{name}=={version}" for name, version in sorted(system_versions.items()) if normalise(name) in PROTECTED]
    return "\n".join(lines) + "\n"


def proxy_url(settings: Mapping[str, object]) -> str | None:
    """pip's --proxy from QGIS's network settings (Settings > Options > Network), or None to use the system's."""
    if str(settings.get("proxy/proxyEnabled", "false")).lower() != "true":
        return None
    kind = str(settings.get("proxy/proxyType", "HttpProxy"))
    host = str(settings.get("proxy/proxyHost", "") or "").strip()
    if kind == "DefaultProxy" or not host:
        return None
    scheme = "socks5" if kind.startswith("Socks5") else "http"
    if "://" in host:
        scheme, host = host.split("://", 1)
    port = str(settings.get("proxy/proxyPort", "") or "").strip()
    user = str(settings.get("proxy/proxyUser", "") or "")
    password = str(settings.get("proxy/proxyPassword", "") or "")
    from urllib.parse import quote

    auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
    return f"{scheme}://{auth}{host}{':' + port if port and port != '0' else ''}"


def build_plan(python: str, target: Path, torch: TorchChoice, constraints: Path, wheelhouse: Path | None = None,
               proxy: str | None = None, requirements: Mapping[str, str] = PIP_REQUIREMENTS) -> InstallPlan:
    """One pip command for everything (it resolves all versions together), with the chosen torch index."""
    staging = target.with_name(target.name + ".staging")
    reqs = [*torch.requirements, *requirements.values()]
    command = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
               "--no-warn-script-location", "--prefer-binary", "--only-binary", BINARY_ONLY, "--upgrade",
               "--target", str(staging), "--constraint", str(constraints)]
    if wheelhouse is not None:
        command += ["--no-index", "--find-links", str(wheelhouse)]
        source = f"the folder of wheels {wheelhouse} (offline)"
    else:
        command += list(torch.index_args)
        source = next((arg for arg in torch.index_args[1:2]), "PyPI") + (" and PyPI" if torch.index_args else "")
    if proxy and wheelhouse is None:
        command += ["--proxy", proxy]
    command += reqs
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env.update(PYTHONUNBUFFERED="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    return InstallPlan(python, target, staging, command, torch, source, tuple(reqs), env)


#: pip's output -> a sentence saying what to do, checked in this order
KNOWN_CAUSES = (
    (r"externally-managed-environment", "This Python refuses pip installs into itself; the installer only installs "
     "into SegEarth's private folder."),
    (r"CERTIFICATE_VERIFY_FAILED|SSLError", "A secure connection failed (a proxy or antivirus that intercepts HTTPS?): "
     "set the proxy in QGIS's Settings > Options > Network, or install from a folder of wheels."),
    (r"ProxyError|407 Proxy Authentication", "The proxy refused the connection: check QGIS's proxy settings."),
    (r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Network is unreachable|"
     r"Failed to establish a new connection", "No connection to the package index: check the network or QGIS's "
     "proxy settings, or install from a folder of wheels."),
    (r"No space left on device", "The disk is full."),
    (r"No matching distribution found|Could not find a version that satisfies",
     "No wheel fits this Python and platform (or the folder of wheels lacks one)."),
    (r"No module named pip", "QGIS's Python has no pip."),
)


def failure_cause(output: str) -> str:
    """The real cause of a failed pip run, first: pip's ERROR lines (warnings dropped) and what to do about it."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"\s*(ERROR|error)\b", line) or "Error:" in line]
    detail = "\n".join(errors[:6]) if errors else "\n".join(
        [line for line in lines if not line.lstrip().startswith("WARNING")][-6:])
    advice = next((text for pattern, text in KNOWN_CAUSES if re.search(pattern, output)), "")
    return "\n".join(part for part in (advice, detail) if part) or "pip failed without saying why"
