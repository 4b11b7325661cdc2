"""Each doc's own cookie jar: cookies a response sets belong to the doc that got them.

One ``requests.Session`` serves every doc of a worker (one keep-alive pool), but its cookie jar
would carry a ``Set-Cookie`` of one doc into the requests of the next, so that outcomes depended
on the order of docs and on pytest-xdist's distribution. Here:

* :func:`isolate` makes the shared session keep no cookie a response sets (a cookie policy that
  refuses them). Cookies the user's own ``apispec_session`` put in its jar on purpose stay, and
  are sent by every doc.
* Every doc has a :class:`DocCookies` jar. It is sent with each request of the doc (with the
  session's own cookies), and a response hook stores the cookies each response sets into it:
  the jar of the doc that sent the request, whatever thread reads the response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from typing import Any

import requests
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar


class _KeepNone(DefaultCookiePolicy):
    """A policy that accepts no cookie from a response; sending is unchanged."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return False


def isolate(session: requests.Session) -> None:
    """Make ``session`` keep no cookie a response sets (each doc's jar keeps them)."""
    jar = session.cookies
    if isinstance(jar, CookieJar) and not isinstance(getattr(jar, "_policy", None), _KeepNone):
        jar.set_policy(_KeepNone())


class DocCookies:
    """The cookies of one doc: what its responses set, sent with its later requests."""

    def __init__(self, on_values: Callable[[Iterable[str]], None] | None = None) -> None:
        self.jar = RequestsCookieJar()
        self._on_values = on_values

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A response hook: keep the cookies ``response`` sets, and report their values."""
        values = set_cookie_values(response)
        if values:
            extract_cookies_to_jar(self.jar, response.request, response.raw)  # type: ignore[no-untyped-call]
            if self._on_values is not None:
                self._on_values(values)
        return response

    def add(self, cookies: Iterable[Cookie]) -> None:
        """Cookies another jar got (a shared prerequisite's, extracted by name)."""
        for cookie in cookies:
            self.jar.set_cookie(cookie)

    def named(self, name: str) -> list[Cookie]:
        return [cookie for cookie in self.jar if cookie.name == name]

    def value(self, name: str) -> str | None:
        found = self.named(name)
        return found[-1].value if found else None


def set_cookie_values(response: requests.Response) -> list[str]:
    """The values of every ``Set-Cookie`` header of a response (credentials, for redaction)."""
    headers = getattr(response.raw, "headers", None)
    getlist = getattr(headers, "getlist", None)
    lines: list[str] = list(getlist("Set-Cookie")) if getlist is not None else []
    if not lines and "Set-Cookie" in response.headers:
        lines = [response.headers["Set-Cookie"]]
    values = []
    for line in lines:
        _, _, value = line.split(";", 1)[0].partition("=")
        value = value.strip().strip('"')
        if value:
            values.append(value)
    return values
