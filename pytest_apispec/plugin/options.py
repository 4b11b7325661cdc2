"""Command-line options, ini keys and environment variables, resolved into settings.

Precedence everywhere: command line, then environment, then ini. Tokens have no ini key:
secrets do not belong in committed files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pytest_apispec.contracts.root import ContractRoot
from pytest_apispec.docformat.model import ContractMode
from pytest_apispec.execution.settings import (
    WELL_KNOWN_TOKEN_TYPES,
    ApiSettings,
    ExpectedOutcomeMode,
    token_env_var,
)

GROUP = "apispec"
TOKEN_ENV_PREFIX = "API_TOKEN_"

# name: (help, default) for every ini key; the configuration reference documents each.
INI_KEYS: Mapping[str, tuple[str, str, Any]] = {
    "api_base_url": ("base URL of the API (env API_BASE_URL)", "string", None),
    "api_fallback_url": ("fallback base URL (env API_FALLBACK_URL)", "string", None),
    "api_timeout": ("seconds to wait for a response (default 30)", "string", None),
    "api_expected_outcome": (
        "how docs' expectedOutcome is reported: xfail or pass",
        "string",
        None,
    ),
    "api_default_token": ("token type for docs and steps that name none", "string", None),
    "api_auth_header": ("header that carries the token (default Authorization)", "string", None),
    "api_auth_scheme": ("scheme before the token (default Bearer; empty for none)", "string", None),
    "api_vars": ("template variables, one name=value a line", "linelist", []),
    "api_allowed_hosts": ("extra hosts that may receive tokens, one a line", "linelist", []),
    "api_verify_tls": ("verify TLS certificates (default true)", "bool", True),
    "api_max_retries": (
        "retries of idempotent requests on 429/503 with Retry-After (default 2)",
        "string",
        None,
    ),
    "api_max_retry_wait": (
        "longest Retry-After waited out, in seconds (default 10)",
        "string",
        None,
    ),
    "api_xdist_group": (
        "group docs for pytest-xdist's --dist loadgroup: domain or folder (default none)",
        "string",
        None,
    ),
    "api_swagger_root": (
        "folder the docs' swagger paths are relative to; relative to this ini file "
        "(env API_SWAGGER_ROOT; default the rootdir)",
        "string",
        None,
    ),
    "api_contract": (
        "what a response that breaks its doc's OpenAPI contract does: strict (default), warn, off",
        "string",
        None,
    ),
    "api_parse_cache": (
        "keep parsed docs in __pycache__ beside them between runs (default true)",
        "bool",
        True,
    ),
    "api_contracts": (
        "contracts --api-coverage reports on even when no doc names them: glob patterns "
        "relative to the contract root, one a line",
        "linelist",
        [],
    ),
    "api_lint_vars": (
        "names of variables a conftest's apispec_vars provides, for --api-lint; one a line",
        "linelist",
        [],
    ),
    "api_tune_gc": (
        "spare the garbage collector the objects collecting docs makes (default true)",
        "bool",
        True,
    ),
}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "API endpoint docs (pytest-apispec)")
    group.addoption(
        "--api-base-url",
        metavar="URL",
        help="base URL of the API [env API_BASE_URL, ini api_base_url]",
    )
    group.addoption(
        "--api-fallback-url",
        metavar="URL",
        help="fallback base URL, for docs with useFallbackApi "
        "[env API_FALLBACK_URL, ini api_fallback_url]",
    )
    for token_type in WELL_KNOWN_TOKEN_TYPES:
        group.addoption(
            f"--api-token-{token_type}",
            metavar="TOKEN",
            help=f"the '{token_type}' token [env {token_env_var(token_type)}]",
        )
    group.addoption(
        "--api-token",
        action="append",
        default=[],
        metavar="TYPE=TOKEN",
        help="a token of any type; repeatable [env API_TOKEN_<TYPE>]",
    )
    group.addoption(
        "--api-var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template variable; repeatable [ini api_vars]",
    )
    group.addoption(
        "--api-timeout",
        metavar="SECONDS",
        help="seconds to wait for each response (default 30) [ini api_timeout]",
    )
    group.addoption(
        "--api-expected-outcome",
        choices=[m.value for m in ExpectedOutcomeMode],
        help="report a doc's expectedOutcome as xfail (default) or pass [ini api_expected_outcome]",
    )
    group.addoption(
        "--api-no-verify-tls",
        action="store_true",
        default=False,
        help="do not verify TLS certificates (prints a warning) [ini api_verify_tls]",
    )
    group.addoption(
        "--api-update-docs",
        action="store_true",
        default=False,
        help="write each run doc's outcome into its frontmatter: status (verified, failing, "
        "outdated) and verifiedAt",
    )
    group.addoption(
        "--api-lint",
        action="store_true",
        default=False,
        help="check the docs without sending a request: each doc passes, or fails listing "
        "every problem as path:line: message [ini api_lint_vars]",
    )
    group.addoption(
        "--api-coverage",
        action="store_true",
        default=False,
        help="after the run (or --api-lint), a table of each contract's operations that have "
        "a doc, and how they did [ini api_contracts]",
    )
    group.addoption(
        "--api-coverage-report",
        metavar="PATH",
        help="write the coverage of every operation to PATH, as JSON (.json) or Markdown "
        "(.md); implies --api-coverage; write it as --api-coverage-report=PATH",
    )
    group.addoption(
        "--api-swagger-root",
        metavar="FOLDER",
        help="folder the docs' swagger: paths are relative to; write it as "
        "--api-swagger-root=FOLDER [env API_SWAGGER_ROOT, ini api_swagger_root]",
    )
    group.addoption(
        "--api-contract",
        choices=[m.value for m in ContractMode],
        help="a response that breaks its doc's OpenAPI contract: strict (fails, the default), "
        "warn, off [ini api_contract]",
    )
    for name, (help_text, kind, default) in INI_KEYS.items():
        # a fresh list each time: pytest hands the default out as is, and a conftest's
        # config.addinivalue_line() appends to it, which must not outlive that config
        fresh = list(default) if isinstance(default, list) else default
        parser.addini(name, help_text, type=kind, default=fresh)  # type: ignore[arg-type]


def _pick(config: pytest.Config, option: str, env: str | None, ini: str) -> str | None:
    value = config.getoption(option)
    if value is None and env is not None:
        value = os.environ.get(env) or None
    if value is None:
        value = config.getini(ini) or None
    return str(value).strip() if value is not None else None


def _pairs(lines: list[str], source: str, secret: bool = False) -> dict[str, str]:
    pairs = {}
    for line in lines:
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            if secret:  # most likely a bare token: never echo it
                raise pytest.UsageError(f"{source}: a value is not TYPE=TOKEN, such as staff=...")
            raise pytest.UsageError(f"{source}: {line!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    return pairs


def _number(config: pytest.Config, value: str | None, what: str, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise pytest.UsageError(f"{what} must be a number of seconds, not {value!r}") from None
    if number < 0 or not math.isfinite(number):
        raise pytest.UsageError(f"{what} must be a finite number, not negative, not {value!r}")
    return number


MAX_RETRIES = 10


def _retries(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 2
    if not text.isascii() or not text.isdigit() or int(text) > MAX_RETRIES:
        raise pytest.UsageError(
            f"api_max_retries must be a whole number from 0 to {MAX_RETRIES}, not {value!r}"
        )
    return int(text)


def resolve_settings(config: pytest.Config) -> ApiSettings:
    mode = _pick(config, "api_expected_outcome", None, "api_expected_outcome") or "xfail"
    try:
        expected = ExpectedOutcomeMode(mode.lower())
    except ValueError:
        raise pytest.UsageError(
            f"api_expected_outcome must be xfail or pass, not {mode!r}"
        ) from None
    variables = _pairs(config.getini("api_vars"), "ini api_vars")
    variables.update(_pairs(config.getoption("api_var"), "--api-var"))
    scheme = config.getini("api_auth_scheme")
    return ApiSettings(
        base_url=_pick(config, "api_base_url", "API_BASE_URL", "api_base_url"),
        fallback_url=_pick(config, "api_fallback_url", "API_FALLBACK_URL", "api_fallback_url"),
        timeout=_number(
            config, _pick(config, "api_timeout", None, "api_timeout"), "api timeout", 30.0
        ),
        expected_outcome=expected,
        default_token=config.getini("api_default_token") or None,
        auth_header=config.getini("api_auth_header") or "Authorization",
        auth_scheme="Bearer" if scheme is None else str(scheme).strip(),
        variables=MappingProxyType(variables),
        allowed_hosts=frozenset(h.strip() for h in config.getini("api_allowed_hosts") if h.strip()),
        verify_tls=bool(config.getini("api_verify_tls"))
        and not config.getoption("api_no_verify_tls"),
        max_retries=_retries(config.getini("api_max_retries")),
        max_retry_wait=_number(
            config, config.getini("api_max_retry_wait") or None, "api_max_retry_wait", 10.0
        ),
        swagger_root=_pick(config, "api_swagger_root", "API_SWAGGER_ROOT", "api_swagger_root"),
        xdist_group=_xdist_group(config.getini("api_xdist_group")),
        root_dir=str(config.rootpath),
        start_dir=str(config.invocation_params.dir),
        contract_mode=_contract_mode(_pick(config, "api_contract", None, "api_contract")),
        contract_root=_contract_root(config),
    )


def _contract_mode(value: str | None) -> ContractMode:
    try:
        return ContractMode((value or "strict").strip().lower())
    except ValueError:
        raise pytest.UsageError(
            f"api_contract must be strict, warn or off, not {value!r}"
        ) from None


def _contract_root(config: pytest.Config) -> ContractRoot:
    """Command line and environment: relative to where pytest started; ini: to the ini file;
    by default the rootdir."""
    start = config.invocation_params.dir
    value = config.getoption("api_swagger_root") or os.environ.get("API_SWAGGER_ROOT")
    if value:
        return ContractRoot((start / Path(value.strip()).expanduser()).resolve(), configured=True)
    value = config.getini("api_swagger_root")
    if value:
        base = config.inipath.parent if config.inipath else config.rootpath
        folder = (base / Path(str(value).strip()).expanduser()).resolve()
        return ContractRoot(folder, configured=True)
    return ContractRoot(config.rootpath)


XDIST_GROUPS = ("domain", "folder")


def _xdist_group(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if value in ("", "none"):
        return None
    if value not in XDIST_GROUPS:
        raise pytest.UsageError(f"api_xdist_group must be domain, folder or none, not {value!r}")
    return value


class ConfiguredTokens(Mapping[str, str]):
    """Tokens from the command line, then ``API_TOKEN_<TYPE>`` environment variables.

    Looked up by type on demand, so any token type works without declaring it; the repr
    never shows a value.
    """

    def __init__(self, cli: Mapping[str, str], environ: Mapping[str, str]) -> None:
        self._cli = dict(cli)
        self._environ = environ

    @classmethod
    def from_config(cls, config: pytest.Config) -> ConfiguredTokens:
        cli = _pairs(config.getoption("api_token"), "--api-token", secret=True)
        for token_type in WELL_KNOWN_TOKEN_TYPES:
            value = config.getoption(f"api_token_{token_type}")
            if value:
                cli[token_type] = value
        return cls(cli, os.environ)

    def __getitem__(self, token_type: str) -> str:
        if token_type in self._cli:
            return self._cli[token_type]
        value = self._environ.get(token_env_var(token_type))
        if not value:
            raise KeyError(token_type)
        return value

    def _types(self) -> list[str]:
        from_env = [
            name[len(TOKEN_ENV_PREFIX) :].lower()
            for name, value in self._environ.items()
            if name.startswith(TOKEN_ENV_PREFIX) and value
        ]
        return list(dict.fromkeys([*self._cli, *from_env]))

    def __iter__(self) -> Iterator[str]:
        return iter(self._types())

    def __len__(self) -> int:
        return len(self._types())

    def __repr__(self) -> str:
        return f"ConfiguredTokens(types={self._types()!r})"
