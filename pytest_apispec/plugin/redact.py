"""The one place that keeps token values out of every output channel.

Tokens are registered here as soon as they are known (from options and the environment at
start-up, and from the ``apispec_tokens`` fixture when a test uses it). Every report pytest
builds (terminal, ``-rA`` captured output, JUnit XML, pytest-xdist, pytest-html) passes
through :meth:`Redactor.redact_report`, every log record through :meth:`install_logging`, and
every warning through :meth:`Redactor.pytest_warning_recorded` (the redactor is registered as
a plugin). What pytest does not capture (``-s``, live ``print``) cannot be redacted.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

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
                # as written, and as a JSON string or a URL would spell it
                self._secrets |= {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}

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
                self._redact_record(record)
            return record

        logging.setLogRecordFactory(factory)

    def _redact_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it when a handler formats
            return
        if self.leaks(message):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # formatters use exc_text when it is set, instead of formatting the traceback again
            exc_text = logging.Formatter().formatException(record.exc_info)
            if self.leaks(exc_text):
                record.exc_text = self.redact(exc_text)
        if record.stack_info and self.leaks(record.stack_info):
            record.stack_info = self.redact(record.stack_info)

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        """Redact a warning before the terminal summary or pytest-xdist turns it into text."""
        message = warning_message.message
        if self._secrets and self.leaks(str(message)):
            if isinstance(message, Warning):
                message.args = (self.redact(str(message)),)
            else:
                warning_message.message = self.redact(str(message))

    def uninstall_logging(self) -> None:
        if self._previous_factory is not None:
            logging.setLogRecordFactory(self._previous_factory)
            self._previous_factory = None
