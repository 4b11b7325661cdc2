"""What a doc needs from the environment before it can run: base URLs and tokens.

A doc that needs something not configured is skipped, with a reason that says exactly which
option or environment variable to set.
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_apispec.docformat.model import Spec
from pytest_apispec.execution.settings import ApiSettings, token_env_var, token_option


def needed_token_types(spec: Spec, default_token: str | None) -> list[str]:
    types = list(spec.tokens)
    for step in spec.steps:
        token = spec.token_type_of(step, default_token)
        if token and token not in types:
            types.append(token)
    return types


def unmet_requirement(spec: Spec, settings: ApiSettings, tokens: Mapping[str, str]) -> str | None:
    """Why the doc cannot run here, or ``None`` when everything it needs is configured."""
    relative = [step for step in spec.steps if "://" not in step.path]
    if not settings.base_url and any(not spec.step_uses_fallback(s) for s in relative):
        return "no base URL: pass --api-base-url, set API_BASE_URL or the api_base_url ini key"
    if not settings.fallback_url and any(spec.step_uses_fallback(s) for s in relative):
        return (
            "the doc uses the fallback API, which is not configured: pass --api-fallback-url, "
            "set API_FALLBACK_URL or the api_fallback_url ini key"
        )
    for token_type in needed_token_types(spec, settings.default_token):
        if token_type not in tokens:
            return (
                f"needs a '{token_type}' token, which is not configured: pass "
                f"{token_option(token_type)} or set {token_env_var(token_type)}"
            )
    return None
