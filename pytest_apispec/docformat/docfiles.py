"""Writing a doc back to disk safely: only if unchanged since it was read, and atomically.

A doc is written through a temporary file in its own folder, then renamed over the original
(``os.replace``), with the original's permission bits: a reader, an editor or a crash sees the
old file or the new one, never half of one. A doc that changed on disk since it was collected
(size, modification time or content) is not written: a person's edit wins over a test run.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_apispec.docformat.writeback import EditError, set_values


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What a doc was when it was read: size, modification time (ns), SHA-256 of its bytes."""

    size: int
    mtime_ns: int
    digest: str

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The file's stamp, or ``None`` when it cannot be read as a file."""
        try:
            with path.open("rb") as file:
                status = os.fstat(file.fileno())
                data = file.read()
        except OSError:
            return None
        return cls.from_bytes(data, status)

    @classmethod
    def from_bytes(cls, data: bytes, status: os.stat_result) -> FileStamp:
        return cls(status.st_size, status.st_mtime_ns, hashlib.sha256(data).hexdigest())


class NotWritten(Exception):
    """A doc left as it is: ``reason`` groups it in the summary, ``detail`` says more."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


NO_FRONTMATTER = "no frontmatter"
CHANGED_ON_DISK = "changed on disk"


def update_doc(path: Path, read_as: FileStamp, values: Mapping[str, str]) -> bool:
    """Set frontmatter ``values`` in the doc at ``path``; whether its bytes changed.

    Raises :class:`NotWritten` (and leaves no file behind) when it cannot or must not.
    """
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            raw = file.read()
    except IsADirectoryError:
        raise NotWritten("not a file", "it is a folder now") from None
    except FileNotFoundError:
        raise NotWritten("gone", "the file no longer exists") from None
    except OSError as exc:
        raise NotWritten("cannot be read", exc.strerror or str(exc)) from None
    if not stat.S_ISREG(status.st_mode):
        raise NotWritten("not a file", "it is not a regular file now")
    if FileStamp.from_bytes(raw, status) != read_as:
        raise NotWritten(CHANGED_ON_DISK, "edited since it was collected; run again")
    try:
        edited = set_values(raw, values)
    except EditError as exc:
        raise NotWritten("cannot be edited", str(exc)) from None
    if edited is None:
        raise NotWritten(NO_FRONTMATTER, "it has no '---' frontmatter to keep the status in")
    if edited.data == raw:
        return False
    _check_writable(path, status)
    _replace(path, edited.data, stat.S_IMODE(status.st_mode))
    return True


def _has_write_bit(mode: int) -> bool:
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _check_writable(path: Path, status: os.stat_result) -> None:
    """Read-only means read-only, for root too (``os.access`` says yes to root)."""
    if not _has_write_bit(status.st_mode) or not os.access(path, os.W_OK):
        raise NotWritten("not writable", "the file is read-only")
    folder = path.parent
    try:
        folder_mode = folder.stat().st_mode
    except OSError as exc:
        raise NotWritten("not writable", exc.strerror or str(exc)) from None
    if not _has_write_bit(folder_mode) or not os.access(folder, os.W_OK | os.X_OK):
        raise NotWritten("not writable", "its folder is read-only")


def _replace(path: Path, data: bytes, mode: int) -> None:
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if Path(temp).read_bytes() != data:  # read back what was written, before it counts
            raise OSError(errno.EIO, "the written file does not read back the same")
        os.chmod(temp, mode)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        reason = "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "write failed"
        raise NotWritten(reason, exc.strerror or str(exc)) from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
