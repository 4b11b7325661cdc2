"""Parsed docs kept between runs, as Python keeps compiled modules in ``__pycache__``.

A doc whose size and modification time have not changed since the last run is not read or
parsed again: collecting thousands of docs then costs little more than collecting a few.
The cache is one pickle file in pytest's cache folder (``.pytest_cache``); it is ignored
when it was written by another version of the plugin, and ``--cache-clear`` or
``-p no:cacheprovider`` turn it off. Only parsed docs and "not a doc" answers are kept:
broken docs are parsed again every run, so their errors always show the current text.
"""

from __future__ import annotations

import copyreg
import enum
import os
import pickle
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pytest_apispec import __version__
from pytest_apispec.model import Spec

_FORMAT = 1


class Missing(enum.Enum):
    """No usable cache entry: the doc must be parsed."""

    MISSING = enum.auto()


MISSING = Missing.MISSING


def _source_stamp() -> tuple[Any, ...]:
    """Changes when the plugin's parsing code changes, even without a new version number."""
    folder = Path(__file__).parent
    names = ("parser.py", "model.py", "markdown.py", "yamlsafe.py", "speccache.py")
    return (_FORMAT, __version__, *((folder / name).stat().st_mtime_ns for name in names))


def read_only(mapping: dict[str, Any]) -> MappingProxyType[str, Any]:
    """Rebuilds a frozen mapping when the cache is loaded (``mappingproxy`` cannot pickle)."""
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, ...]:
    return read_only, (dict(proxy),)


class SpecCache:
    """What each doc parsed to, keyed by its path, size, modification time and display path."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self._entries: dict[str, tuple[int, int, str, Spec | None]] = {}
        self._dirty = False
        self._stamp = _source_stamp()
        self._load()

    def _load(self) -> None:
        try:
            with self.file.open("rb") as stream:
                stamp, entries = pickle.load(stream)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError):
            return
        if stamp == self._stamp and isinstance(entries, dict):
            self._entries = entries

    def get(self, path: Path, display: Path) -> Spec | Literal[Missing.MISSING] | None:
        """The cached parse of ``path``, or :data:`MISSING` when it must be parsed."""
        entry = self._entries.get(str(path))
        if entry is None:
            return MISSING
        size, mtime, shown, spec = entry
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns, str(display)) != (size, mtime, shown):
            return MISSING
        return spec

    def put(self, path: Path, display: Path, spec: Spec | None) -> None:
        stat = path.stat()
        self._entries[str(path)] = (stat.st_size, stat.st_mtime_ns, str(display), spec)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if it changed (atomically: xdist workers may write at once)."""
        if not self._dirty:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_name(f"{self.file.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as stream:
                pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = {
                    **copyreg.dispatch_table,
                    MappingProxyType: _reduce_proxy,
                }
                pickler.dump((self._stamp, self._entries))
            temporary.replace(self.file)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            temporary.unlink(missing_ok=True)  # a cache that cannot be written is no cache
        self._dirty = False
