"""Markers derived from a doc, so that ``-m`` can select docs.

Every doc item carries ``apispec(endpoint=..., domain=..., status=..., method=...)`` (select with
``-m "apispec(domain='sales')"``) and plain markers: ``tag_<tag>``, ``domain_<domain>``,
``status_<status>``, ``token_<type>``, ``method_<method>`` and ``requires_test_data``.
Names are lower-case with anything but letters, digits and ``_`` turned into ``_``.
Markers are registered as they are met, so ``--strict-markers`` accepts them.
"""

from __future__ import annotations

import functools
import re

import pytest

from pytest_apispec.docformat.model import Spec

STATIC_MARKERS = {
    "apispec": "apispec(endpoint, domain, status, method): an endpoint doc run by pytest-apispec",
    "requires_test_data": "an endpoint doc whose happy path needs data the environment may lack",
}
DYNAMIC_PREFIXES = {
    "tag_": "endpoint docs with this tag",
    "domain_": "endpoint docs of this domain",
    "status_": "endpoint docs with this doc status",
    "token_": "endpoint docs that need this token type",
    "method_": "endpoint docs whose request uses this HTTP method",
}
XDIST_GROUP = "xdist_group"  # pytest-xdist's own marker; we register it when xdist is absent
_REGISTERED = pytest.StashKey[set[str]]()
# One decorator per marker name, shared by every item that carries it (marks are immutable):
# a fresh Mark per item and name is ~1 KB per doc in a large collection.
_DECORATORS = pytest.StashKey[dict[str, pytest.MarkDecorator]]()


@functools.lru_cache(maxsize=4096)  # a few hundred tags and domains, met thousands of times
def marker_name(prefix: str, value: str) -> str:
    return prefix + re.sub(r"\W+", "_", value.strip().lower()).strip("_")


def spec_marker_names(spec: Spec) -> list[str]:
    names = [marker_name("tag_", tag) for tag in spec.tags]
    if spec.domain:
        names.append(marker_name("domain_", spec.domain))
    if spec.status:
        names.append(marker_name("status_", spec.status))
    token_types = dict.fromkeys(spec.tokens + tuple(s.token for s in spec.steps if s.token))
    names += [marker_name("token_", token) for token in token_types]
    if spec.method:
        names.append(marker_name("method_", spec.method))
    if spec.requires_test_data:
        names.append("requires_test_data")
    return list(dict.fromkeys(names))


def register_static(config: pytest.Config) -> None:
    for name, description in STATIC_MARKERS.items():
        # "name(args): text" is pytest's own form; "name: name(args): text" shows the name twice
        signed = description.startswith(f"{name}(")
        config.addinivalue_line("markers", description if signed else f"{name}: {description}")
    for prefix, description in DYNAMIC_PREFIXES.items():
        config.addinivalue_line("markers", f"{prefix}<name>: {description}")
    if not config.pluginmanager.hasplugin("xdist"):
        config.addinivalue_line(
            "markers", f"{XDIST_GROUP}(name): pytest-xdist's --dist loadgroup runs a group together"
        )
    config.stash[_REGISTERED] = set(STATIC_MARKERS)


def apply(item: pytest.Item, spec: Spec) -> None:
    """Add the doc's markers to its item, registering new marker names on the way."""
    config = item.config
    registered = config.stash.setdefault(_REGISTERED, set())
    item.add_marker(
        pytest.mark.apispec(
            endpoint=spec.endpoint or spec.name,
            domain=spec.domain,
            status=spec.status,
            method=spec.method,
        )
    )
    decorators = config.stash.setdefault(_DECORATORS, {})
    for name in spec_marker_names(spec):
        if name not in registered:
            registered.add(name)
            config.addinivalue_line("markers", f"{name}: {_describe(name)}")
        decorator = decorators.get(name)
        if decorator is None:
            decorator = decorators[name] = getattr(pytest.mark, name)
        item.add_marker(decorator)


def _describe(name: str) -> str:
    for prefix, description in DYNAMIC_PREFIXES.items():
        if name.startswith(prefix):
            return f"{description} ({name[len(prefix) :]})"
    return STATIC_MARKERS.get(name, "pytest-apispec marker")
