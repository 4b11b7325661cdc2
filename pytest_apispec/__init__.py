"""pytest-apispec: run API endpoint docs (Markdown with YAML steps) as pytest tests.

The layers, lowest first (``docs/architecture.md`` says what each module is):

* :mod:`pytest_apispec.docformat`: reading a doc into typed, immutable objects (no pytest);
* :mod:`pytest_apispec.execution`: running a doc's steps over a ``requests.Session`` (no pytest);
* :mod:`pytest_apispec.plugin`: the pytest layer, and the ``pytest11`` entry point.

Imports only go downward: the plugin uses the core, the core never imports pytest, and the doc
format never imports execution.
"""

from __future__ import annotations

from pytest_apispec._version import __version__
from pytest_apispec.execution.settings import ApiSettings

__all__ = ["ApiSettings", "ContractWarning", "NearMissKeyWarning", "__version__"]

_WARNINGS = {
    "ContractWarning": "pytest_apispec.plugin.contracts",
    "NearMissKeyWarning": "pytest_apispec.plugin.lint",
}


def __getattr__(name: str) -> object:
    """The plugin's warning classes, for ``-W error::pytest_apispec.ContractWarning`` and
    ``filterwarnings``; imported on first use (they live in the pytest layer)."""
    module = _WARNINGS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_apispec' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
