"""pytest-apispec: run API endpoint docs (Markdown with YAML steps) as pytest tests."""

from __future__ import annotations

from pytest_apispec.settings import ApiSettings

__all__ = ["ApiSettings", "__version__"]
__version__ = "0.1.0"
