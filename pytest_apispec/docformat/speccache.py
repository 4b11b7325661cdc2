"""Parsed docs kept between runs, the way Python keeps compiled modules in ``__pycache__``.

A doc whose size and modification time have not changed since the last run is not read or
parsed again: collecting thousands of docs then costs little more than making their items.
Each folder of docs gets one file, ``__pycache__/pytest-apispec.pickle``, beside its docs (or
under ``PYTHONPYCACHEPREFIX``), so the cache works whatever pytest's own cache plugin is
doing, as ``.pyc`` files do for test modules. It is not written under ``PYTHONDONTWRITEBYTECODE``
(``python -B``), is ignored when another version of the plugin or of its parsing code wrote
it, and ``--cache-clear`` starts it afresh. Only parsed docs and "not a doc" answers are
kept: broken docs are parsed again every run, so their errors always show the current text.
"""

from __future__ import annotations

import contextlib
import copyreg
import enum
import os
import pickle
import sys
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pytest_apispec._version import __version__
from pytest_apispec.docformat.model import Expectation, NearMiss, Provenance, Spec, Step

CACHE_FOLDER = "__pycache__"
CACHE_FILE = "pytest-apispec.pickle"
_FORMAT = 4

_Entry = tuple[int, int, Spec | None]  # size, modification time, what the file parsed to
_CHUNK = 500  # entries a pickle: bounds the pickler's memo, and so the memory saving takes


class Missing(enum.Enum):
    """No usable cache entry: the doc must be parsed."""

    MISSING = enum.auto()


MISSING = Missing.MISSING


def _source_stamp() -> tuple[Any, ...]:
    """Changes when the plugin's parsing code changes, even without a new version number."""
    folder = Path(__file__).parent
    names = (
        "parser.py",
        "model.py",
        "bodies.py",
        "extraction.py",
        "polling.py",
        "markdown.py",
        "yamlsafe.py",
        "speccache.py",
        "keys.py",
        "contractkeys.py",
    )
    return (_FORMAT, __version__, *((folder / name).stat().st_mtime_ns for name in names))


def cache_file_of(folder: Path) -> Path:
    """Where the cache of a folder of docs lives, as ``importlib`` places ``.pyc`` files."""
    prefix = sys.pycache_prefix
    if prefix:
        return Path(prefix, *folder.absolute().parts[1:], CACHE_FILE)
    return folder / CACHE_FOLDER / CACHE_FILE


def read_only(mapping: dict[str, Any]) -> MappingProxyType[str, Any]:
    """Rebuilds a frozen mapping when the cache is loaded (``mappingproxy`` cannot pickle)."""
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, ...]:
    return read_only, (dict(proxy),)


def _reduce_record(record: Any) -> tuple[Any, ...]:
    """A model record as its class and field values: loading calls the class, a third faster
    than the ``__setstate__`` that frozen dataclasses with slots otherwise get."""
    cls = type(record)
    return cls, tuple(getattr(record, name) for name in _FIELDS[cls])


_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (Spec, Step, Expectation, Provenance, NearMiss)
}
_DISPATCH: dict[type, Any] = {
    **copyreg.dispatch_table,
    MappingProxyType: _reduce_proxy,
    **dict.fromkeys(_FIELDS, _reduce_record),
}


class SpecCache:
    """What each doc parsed to, keyed by its folder, name, size and modification time (and
    the path messages show). Folders are loaded when their first doc is looked up."""

    def __init__(self, *, write: bool = True, fresh: bool = False) -> None:
        self.write = write
        self.fresh = fresh
        self._stamp = _source_stamp()
        self._folders: dict[Path, _FolderCache] = {}

    def get(self, path: Path, display: Path) -> Spec | Literal[Missing.MISSING] | None:
        """The cached parse of ``path``, or :data:`MISSING` when it must be parsed."""
        entry = self._folder(path.parent).entries.get(path.name)
        if entry is None:
            return MISSING
        size, mtime, spec = entry
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            return MISSING
        if spec is not None and spec.path != display:  # run from elsewhere: other messages
            return MISSING
        return spec

    def put(self, path: Path, spec: Spec | None) -> None:
        stat = path.stat()
        folder = self._folder(path.parent)
        folder.entries[path.name] = (stat.st_size, stat.st_mtime_ns, spec)
        folder.dirty = True

    def save(self) -> None:
        """Write the folders whose entries changed (unless writing is off)."""
        if self.write:
            for folder in self._folders.values():
                folder.save(self._stamp)

    def _folder(self, path: Path) -> _FolderCache:
        folder = self._folders.get(path)
        if folder is None:
            folder = self._folders[path] = _FolderCache(path, cache_file_of(path))
            if not self.fresh:
                folder.load(self._stamp)
        return folder


class _FolderCache:
    def __init__(self, docs: Path, file: Path) -> None:
        self.docs = docs
        self.file = file
        self.entries: dict[str, _Entry] = {}
        self.dirty = False

    def load(self, stamp: tuple[Any, ...]) -> None:
        entries: dict[str, _Entry] = {}
        try:
            with self.file.open("rb") as stream:
                if pickle.load(stream) != stamp:
                    return  # written by another version: parse again
                while stream.peek(1):
                    entries.update(pickle.load(stream))  # a pickle a chunk, each its own memo
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError):
            return  # none yet, or unreadable: no cache
        self.entries = entries

    def save(self, stamp: tuple[Any, ...]) -> None:
        """Write atomically: pytest-xdist's workers may all write the same file at once."""
        if not self.dirty:
            return
        self.dirty = False
        temporary = self.file.with_name(f"{self.file.name}.{os.getpid()}.tmp")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as stream:
                pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = _DISPATCH
                # docs deleted or renamed since they were cached leave with this write
                items = [
                    (name, e) for name, e in self.entries.items() if (self.docs / name).exists()
                ]
                chunks = (
                    dict(items[start : start + _CHUNK]) for start in range(0, len(items), _CHUNK)
                )
                for chunk in (stamp, *chunks):
                    pickler.clear_memo()  # each pickle must stand alone for pickle.load
                    pickler.dump(chunk)
            temporary.replace(self.file)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            with contextlib.suppress(OSError):  # a read-only folder: no cache, and no error
                temporary.unlink(missing_ok=True)
