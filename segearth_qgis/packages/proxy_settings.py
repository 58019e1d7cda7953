"""QGIS's proxy (Settings > Options > Network) as plain values, for pip (the installer) and the model download.

Read from QGIS's own settings keys (proxy/*), the user name and password included, or taken from QGIS's
authentication database when the proxy uses an authentication configuration (proxy/authcfg); the excluded URLs
become a NO_PROXY list. "DefaultProxy" means the system's proxy: Python's urllib finds it (environment variables,
the Windows registry, macOS's network settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from .pip_plan import proxy_url

KEYS = ("proxyEnabled", "proxyType", "proxyHost", "proxyPort", "proxyUser", "proxyPassword", "authcfg",
        "proxyExcludedUrls", "noProxyUrls")


def _auth_config_credentials(authcfg: str) -> tuple[str, str] | None:
    """(user, password) of a QGIS authentication configuration (Basic), or None when it cannot be read."""
    try:
        from qgis.core import QgsApplication, QgsAuthMethodConfig
    except ImportError:
        return None
    config = QgsAuthMethodConfig()
    manager = QgsApplication.authManager()
    if manager is None or not manager.loadAuthenticationConfig(authcfg, config, True):
        return None
    user = config.config("username", "")
    return (user, config.config("password", "")) if user else None


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v).strip()]
    return [v for v in str(value or "").split("|") if v.strip()]


def qgis_proxy_settings() -> dict[str, object]:
    """QGIS's proxy/* settings, with the user name and password of its authentication configuration if it has one."""
    try:
        from qgis.core import QgsSettings
    except ImportError:
        return {}
    settings = QgsSettings()
    values: dict[str, object] = {f"proxy/{key}": settings.value(f"proxy/{key}", "") for key in KEYS}
    authcfg = str(values.get("proxy/authcfg") or "")
    credentials = _auth_config_credentials(authcfg) if authcfg else None
    if credentials:
        values["proxy/proxyUser"], values["proxy/proxyPassword"] = credentials
    return values


def no_proxy_hosts(settings: Mapping[str, object]) -> str:
    """QGIS's excluded URLs (and no-proxy list) as a NO_PROXY value: 'host1,host2'."""
    hosts = []
    for entry in _as_list(settings.get("proxy/proxyExcludedUrls")) + _as_list(settings.get("proxy/noProxyUrls")):
        host = urlsplit(entry if "://" in entry else f"//{entry}").hostname
        if host and host not in hosts:
            hosts.append(host)
    return ",".join(hosts)


def system_proxy(url_scheme: str = "https") -> str | None:
    """The system's proxy for `url_scheme` addresses, as Python finds it (environment, registry, macOS settings)."""
    from urllib.request import getproxies

    proxies = getproxies()
    return proxies.get(url_scheme) or proxies.get("all") or None


def download_proxy(settings: Mapping[str, object] | None = None, url_scheme: str = "https") -> tuple[str | None, str]:
    """(proxy address or None, NO_PROXY list) that the model download uses: QGIS's proxy when it is on (the
    system's for "DefaultProxy"), else the environment's, as pip gets it."""
    settings = qgis_proxy_settings() if settings is None else settings
    enabled = str(settings.get("proxy/proxyEnabled", "false")).lower() == "true"
    if enabled and str(settings.get("proxy/proxyType", "")) != "DefaultProxy":
        return proxy_url(settings), no_proxy_hosts(settings)
    from urllib.request import getproxies

    return system_proxy(url_scheme), str(getproxies().get("no", "") or "")
