"""The default apispec_session: requests' environment lookups done once per origin."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from pytest_apispec.execution.session import ApiSession


def test_the_environment_is_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    original = requests.Session.merge_environment_settings

    def spy(self: requests.Session, url: str, *args: Any) -> Any:
        looked_up.append(url)
        return original(self, url, *args)

    monkeypatch.setattr(requests.Session, "merge_environment_settings", spy)
    with responses.RequestsMock() as mock, ApiSession() as session:
        mock.get("https://a.example.test/x", json={})
        mock.get("https://a.example.test/y", json={})
        mock.get("https://b.example.test/x", json={})
        for url in ("https://a.example.test/x", "https://a.example.test/y"):
            session.get(url)
        session.get("https://b.example.test/x")
    assert looked_up == ["https://a.example.test/x", "https://b.example.test/x"]


def test_proxies_from_the_environment_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with ApiSession() as session:
        settings = session.merge_environment_settings(
            "https://a.example.test/x", {}, None, None, None
        )
        again = session.merge_environment_settings("https://a.example.test/z", {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.example.test:3128"
    assert again == settings and again["proxies"] is not settings["proxies"]
