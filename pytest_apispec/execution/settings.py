"""Run settings, resolved once per session from options, environment and ini (see ``options``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pytest_apispec.contracts.root import ContractRoot
from pytest_apispec.docformat.model import ContractMode


class ExpectedOutcomeMode(enum.Enum):
    """How a doc's ``expectedOutcome`` is reported."""

    XFAIL = "xfail"
    PASS = "pass"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    base_url: str | None = None
    fallback_url: str | None = None
    timeout: float = 30.0
    expected_outcome: ExpectedOutcomeMode = ExpectedOutcomeMode.XFAIL
    default_token: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    variables: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    allowed_hosts: frozenset[str] = frozenset()
    verify_tls: bool = True
    max_retries: int = 2
    max_retry_wait: float = 10.0
    swagger_root: str | None = None
    xdist_group: str | None = None
    root_dir: str | None = None  # pytest's rootdir: files to upload must be below it
    start_dir: str | None = None  # where pytest was started: doc paths are relative to it
    contract_mode: ContractMode = ContractMode.STRICT
    contract_root: ContractRoot = field(default_factory=ContractRoot)  # where swagger: files are


def token_env_var(token_type: str) -> str:
    """The environment variable that holds a token type: ``staff`` -> ``API_TOKEN_STAFF``."""
    return "API_TOKEN_" + "".join(c if c.isalnum() else "_" for c in token_type).upper()


def token_option(token_type: str) -> str:
    """The command-line option for a token type."""
    if token_type in WELL_KNOWN_TOKEN_TYPES:
        return f"--api-token-{token_type}"
    return f"--api-token {token_type}=VALUE"


WELL_KNOWN_TOKEN_TYPES = ("staff", "client", "directory", "app")
