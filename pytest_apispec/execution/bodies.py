"""Turning a step's ``form``, ``multipart`` or ``data`` into what is sent, and what reports show.

Files to upload are read here, when the step is sent: their paths may use variables. A path is
relative to the doc, and may not lead out of pytest's rootdir (``..``, an absolute path and a
symbolic link are all resolved first): a doc cannot make the run read ``/etc/passwd`` or a key
beside the project. A file larger than :data:`MAX_UPLOAD_BYTES` is refused.

A :class:`SentBody` keeps the file bytes for sending only; its report lines and curl arguments
show file names and sizes, never their content.
"""

from __future__ import annotations

import mimetypes
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.bodies import FileField, StepBody
from pytest_apispec.execution.results import StepError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SHOWN_DATA_CHARS = 2000
FORM_TYPE = "application/x-www-form-urlencoded"
DATA_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class SentFile:
    """A file part as sent: its field, where it was read from, and what the server is told."""

    field_name: str
    shown_path: str  # as the curl command names it: relative to where pytest was started
    filename: str
    content_type: str
    size: int
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class SentBody:
    """A rendered ``form``, ``multipart`` or ``data`` body."""

    kind: str
    fields: tuple[tuple[str, str], ...] = ()  # form fields, or multipart text fields
    files: tuple[SentFile, ...] = ()
    text: str = ""

    def requests_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``requests.Session.request`` that send this body."""
        if self.kind == "form":
            return {"data": list(self.fields)}
        if self.kind == "multipart":
            if not self.files:  # requests sends text fields alone as a form: force multipart
                return {"files": [(name, (None, value)) for name, value in self.fields]}
            files = [(f.field_name, (f.filename, f.content, f.content_type)) for f in self.files]
            return {"data": list(self.fields), "files": files}
        return {"data": self.text.encode("utf-8")}

    def report_lines(self) -> list[str]:
        """The body as a report shows it."""
        if self.kind == "form":
            return [f"(form) {name}={value}" for name, value in self.fields]
        if self.kind == "multipart":
            lines = [f"(multipart) {name}: {value}" for name, value in self.fields]
            lines += [
                f"(multipart) {f.field_name}: file {f.shown_path} as {f.filename!r}, "
                f"{f.content_type}, {f.size} bytes"
                for f in self.files
            ]
            return lines
        shown = self.text[:MAX_SHOWN_DATA_CHARS]
        if len(self.text) > MAX_SHOWN_DATA_CHARS:
            shown += f"\n... (data of {len(self.text)} characters)"
        return [shown]

    def curl_arguments(self) -> list[str]:
        """The curl options that send this body again."""
        if self.kind == "form":
            return [
                part
                for name, value in self.fields
                for part in ("--data-urlencode", shlex.quote(f"{name}={value}"))
            ]
        if self.kind == "multipart":
            parts = [
                part
                for name, value in self.fields
                for part in ("--form-string", shlex.quote(f"{name}={value}"))
            ]
            for f in self.files:
                spec = f"{f.field_name}=@{f.shown_path};type={f.content_type}"
                if f.filename != os.path.basename(f.shown_path):
                    spec += f";filename={f.filename}"
                parts += ["-F", shlex.quote(spec)]
            return parts
        return ["--data-binary", shlex.quote(self.text)]


def content_type_of(body: StepBody) -> str | None:
    """The Content-Type a body is sent with when the step's headers give none."""
    if body.kind == "data":
        return DATA_TYPE
    return None  # requests sets the form's, and multipart's with its boundary


def render_body(
    body: StepBody,
    variables: Mapping[str, Any],
    doc: Path,
    root: Path | None,
    start: Path | None,
) -> SentBody:
    """Fill in the variables and read the files (raises ``templates.UndefinedVariable``)."""
    if body.kind == "form":
        return SentBody("form", fields=tuple(_fields(body.value, variables)))
    if body.kind == "data":
        return SentBody("data", text=templates.as_text(templates.render(body.value, variables)))
    text_fields = {k: v for k, v in body.value.items() if not isinstance(v, FileField)}
    files = [
        _read_file(name, part, variables, doc, root, start)
        for name, part in body.value.items()
        if isinstance(part, FileField)
    ]
    return SentBody("multipart", fields=tuple(_fields(text_fields, variables)), files=tuple(files))


def _fields(form: Mapping[str, Any], variables: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name, value in templates.render(form, variables).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, "" if item is None else templates.as_text(item)))
    return pairs


def _read_file(
    name: str,
    part: FileField,
    variables: Mapping[str, Any],
    doc: Path,
    root: Path | None,
    start: Path | None,
) -> SentFile:
    written = templates.as_text(templates.render(part.file, variables))
    where = f"multipart field '{name}': the file {written!r}"
    base = (start / doc if start is not None else doc).parent
    path = (base / written).resolve()
    if root is not None and not path.is_relative_to(root.resolve()):
        raise StepError(
            f"{where} is outside the rootdir ({root}); upload files must be inside the project, "
            "next to the doc or below the rootdir"
        )
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_UPLOAD_BYTES:
                raise StepError(
                    f"{where} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB "
                    f"({size} bytes), more than a step uploads; use a smaller file"
                )
            content = file.read(MAX_UPLOAD_BYTES + 1)
    except IsADirectoryError:
        raise StepError(f"{where} is a directory; name a file (relative to the doc)") from None
    except FileNotFoundError:
        raise StepError(
            f"{where} does not exist (looked for {path}); paths are relative to the doc"
        ) from None
    except OSError as exc:
        raise StepError(f"{where} cannot be read ({exc.strerror}); check its permissions") from None
    filename = (
        templates.as_text(templates.render(part.filename, variables))
        if part.filename
        else path.name
    )
    content_type = (
        templates.as_text(templates.render(part.content_type, variables))
        if part.content_type
        else mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    shown = os.path.relpath(path, start) if start is not None else str(path)
    return SentFile(name, shown, filename, content_type, len(content), content)
