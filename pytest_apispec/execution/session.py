"""The default ``requests.Session`` of a run."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class ApiSession(requests.Session):
    """A ``requests.Session`` that reads the proxy and CA-bundle environment once per origin.

    ``requests`` scans the whole environment (``*_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``)
    for every request, a sizeable part of each request's cost against a fast API; the answer
    only depends on the origin and on settings that are part of the cache key.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], Any] = {}

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        try:
            key = (
                parts.scheme,
                parts.netloc,
                tuple(sorted(proxies.items())) if proxies else None,
                stream,
                verify,
                cert,
                tuple(sorted(self.proxies.items())),
                self.stream,
                self.verify,
                self.cert,
            )
            settings = self._environment.get(key)
        except TypeError:  # an unhashable setting: no caching
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings is None:
            settings = super().merge_environment_settings(
                url, dict(proxies or {}), stream, verify, cert
            )
            self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}
