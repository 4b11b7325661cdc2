"""The one place that keeps token values out of every output channel.

Tokens are registered here as soon as they are known (from options and the environment at
start-up, and from the ``apispec_tokens`` fixture when a test uses it). Every report pytest
builds (terminal, ``-rA`` captured output, JUnit XML, pytest-xdist, pytest-html) passes
through :meth:`Redactor.redact_report`, and every log record through :meth:`install_logging`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest

MASK = "***"
MIN_SECRET_LENGTH = 4


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._previous_factory: Callable[..., logging.LogRecord] | None = None

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def leaks(self, text: str) -> bool:
        return any(secret in text for secret in self._secrets)

    def redact_report(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        """Rewrite a report in place so that no part of it holds a token."""
        if not self._secrets:
            return
        longrepr = report.longrepr
        if longrepr is not None:
            if isinstance(longrepr, tuple):
                path, line, message = longrepr
                report.longrepr = (path, line, self.redact(message))
            elif self.leaks(str(longrepr)):
                report.longrepr = self.redact(str(longrepr))
        report.sections = [(title, self.redact(text)) for title, text in report.sections]
        if isinstance(report, pytest.TestReport):
            report.user_properties = [
                (name, self._redact_value(value)) for name, value in report.user_properties
            ]

    def _redact_value(self, value: Any) -> Any:
        return self.redact(value) if isinstance(value, str) else value

    def install_logging(self) -> None:
        """Redact log records as they are created, before any handler sees them."""
        previous = logging.getLogRecordFactory()
        self._previous_factory = previous

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if self._secrets:
                message = record.getMessage()
                if self.leaks(message):
                    record.msg, record.args = self.redact(message), None
            return record

        logging.setLogRecordFactory(factory)

    def uninstall_logging(self) -> None:
        if self._previous_factory is not None:
            logging.setLogRecordFactory(self._previous_factory)
            self._previous_factory = None
