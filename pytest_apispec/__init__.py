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

__all__ = ["ApiSettings", "__version__"]
