"""QGIS's proxy settings as the model download gets them (segearth_qgis/packages/proxy_settings.py); the download
through a real proxy with QGIS's credentials is in test_model_download.py."""

from __future__ import annotations

from segearth_qgis.packages.proxy_settings import download_proxy, no_proxy_hosts

HTTP = {"proxy/proxyEnabled": "true", "proxy/proxyType": "HttpProxy", "proxy/proxyHost": "proxy.corp",
        "proxy/proxyPort": "3128", "proxy/proxyUser": "ann", "proxy/proxyPassword": "p@ss"}


def test_excluded_urls_become_no_proxy_hosts():
    assert no_proxy_hosts({"proxy/proxyExcludedUrls": ["https://hf-mirror.example/", "http://intranet:8080/x"],
                           "proxy/noProxyUrls": "intranet|files.corp"}) == "hf-mirror.example,intranet,files.corp"
    assert download_proxy({**HTTP, "proxy/proxyExcludedUrls": "http://intranet"}) == (
        "http://ann:p%40ss@proxy.corp:3128", "intranet")


def test_system_proxy_for_default_proxy_or_when_qgis_has_none(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://system:8080")
    monkeypatch.setenv("no_proxy", "localhost")
    assert download_proxy({**HTTP, "proxy/proxyType": "DefaultProxy"}) == ("http://system:8080", "localhost")
    assert download_proxy({**HTTP, "proxy/proxyEnabled": "false"}) == ("http://system:8080", "localhost")
    monkeypatch.delenv("https_proxy")
    assert download_proxy({}) == (None, "localhost")


def test_a_socks_proxy_is_refused_by_the_download_with_a_reason():
    import pytest

    from segearth_engine.api import HubAccess, HubError

    proxy, _ = download_proxy({**HTTP, "proxy/proxyType": "Socks5Proxy"})
    with pytest.raises(HubError, match="only HTTP proxies"):
        HubAccess(proxy=proxy)
