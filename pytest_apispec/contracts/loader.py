"""Reading a contract file into a :class:`~pytest_apispec.contracts.document.Contract`, once
per process.

JSON or YAML (through the doc format's bounded safe loader: no alias bombs, no deep nesting),
at most :data:`MAX_CONTRACT_BYTES`. Every ``$ref`` is followed when loading, into other files
relative to the one it is written in; a remote one is never fetched, a missing one or a loop
of references is a :class:`ContractError` naming the file, so that validating never meets one.
Contracts, and the errors of broken ones, are kept by resolved path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_apispec.contracts import refs, resources
from pytest_apispec.contracts.document import HTTP_METHODS, Contract, Operation, Version
from pytest_apispec.contracts.resources import Resources

_SERVER_VARIABLE = re.compile(r"\{([^{}/]+)\}")

MIB = 1024 * 1024
MAX_CONTRACT_BYTES = 20 * MIB
_LOADED: dict[Path, Contract | ContractError] = {}


class ContractError(Exception):
    """A contract that cannot be used; ``str()`` is ``path[:line]: what, and what to do``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


def load(path: Path) -> Contract:
    """The contract at ``path``, loaded on first use; a broken one raises every time."""
    resolved = path.resolve()
    known = _LOADED.get(resolved)
    if known is None:
        try:
            known = _load(resolved)
        except ContractError as error:
            known = error
        _LOADED[resolved] = known
    if isinstance(known, ContractError):
        raise known
    return known


def forget() -> None:
    """Drop every loaded contract (for tests that rewrite a contract file)."""
    _LOADED.clear()


def read_document(path: Path) -> Any:
    """One JSON or YAML file, within the size limit."""
    return _read(path)[0]


def _read(path: Path) -> tuple[Any, set[str] | None, bool]:
    """The parsed file; for JSON, the distinct ``$ref`` strings met while parsing it (one
    walk of a large contract fewer; ``None`` for YAML, whose are found by :func:`_refs_in`);
    whether its text may hold an ``$id`` or ``$anchor`` (see ``resources``)."""
    try:
        size = path.stat().st_size
        if size > MAX_CONTRACT_BYTES:
            raise ContractError(
                path,
                None,
                f"is {size // MIB} MiB, larger than the {MAX_CONTRACT_BYTES // MIB} MiB a "
                "contract may be; split it into files joined by $ref",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContractError(
            path, None, "does not exist; check the doc's swagger: path and api_swagger_root"
        ) from None
    except OSError as exc:
        raise ContractError(
            path, None, f"cannot be read ({exc.strerror}); check its permissions"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContractError(path, line, "is not valid UTF-8; save it as UTF-8") from None
    may_have = resources.may_have_resources(text)
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        refs_found: set[str] = set()
        return _json(path, text, refs_found), refs_found, may_have
    return _yaml(path, text), None, may_have


def _json(path: Path, text: str, refs_found: set[str]) -> Any:
    def collect(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            refs_found.add(ref)
        return node

    try:
        return json.loads(text, object_hook=collect)
    except json.JSONDecodeError as exc:
        raise ContractError(path, exc.lineno, f"is not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ContractError(path, None, "is nested too deeply to be a contract") from None


def _yaml(path: Path, text: str) -> Any:
    from pytest_apispec.docformat import yamlsafe  # PyYAML only for YAML contracts

    try:
        return yamlsafe.load(text, yaml12_booleans=True)  # enum: [NO, SE] is Norway
    except yamlsafe.YamlError as exc:
        line = exc.line + 1 if exc.line is not None else None
        raise ContractError(path, line, f"is not valid YAML: {exc.message}") from None


def _load(path: Path) -> Contract:
    document, refs_found, may_have = _read(path)
    version = _version(path, document)
    uri = path.as_uri()
    files: dict[str, Any] = {uri: document}
    found = Resources()
    walked = version in (Version.OAS31, Version.OAS32)
    scanned = _Scanned({uri: refs_found} if refs_found is not None else {}, set(), found, walked)
    if may_have:
        scanned.resourceful.add(uri)
    _check_refs(uri, files, scanned)
    contract = Contract(
        path=path,
        uri=uri,
        version=version,
        files=files,
        base_paths=_base_paths(document, version),
        operations=(),
        resources=found,
    )
    object.__setattr__(contract, "operations", _operations(contract))
    return contract


def _version(path: Path, document: Any) -> Version:
    if isinstance(document, Mapping):
        if str(document.get("swagger", "")).strip() == "2.0":
            return Version.SWAGGER2
        declared = str(document.get("openapi", "")).strip()
        for version in (Version.OAS30, Version.OAS31, Version.OAS32):
            if declared == version.value or declared.startswith(version.value + "."):
                return version
        if declared:
            raise ContractError(
                path,
                None,
                f"is OpenAPI {declared}, which this plugin does not know; "
                "it reads Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2",
            )
    raise ContractError(
        path,
        None,
        "is not an OpenAPI document (it has neither 'swagger: \"2.0\"' nor 'openapi: 3.x' "
        "at its top); check the doc's swagger: path",
    )


def _base_paths(document: Mapping[str, Any], version: Version) -> tuple[str, ...]:
    """``("/api",)``: 2.0's ``basePath``, or the paths of 3.x's server URLs, their variables
    given their defaults (a variable without one stays ``{name}``, a segment of any value)."""
    if version is Version.SWAGGER2:
        base = document.get("basePath")
        return (_normal_path(base),) if isinstance(base, str) else ("",)
    return server_paths(document.get("servers")) or ("",)


def server_paths(servers: Any) -> tuple[str, ...]:
    """The paths of 3.x ``servers`` (each entry's, the first first, each once); none when none
    is declared (the document's, a path item's or an operation's own)."""
    if not isinstance(servers, list):
        return ()
    found: list[str] = []
    for server in servers:
        url = _server_url(server) if isinstance(server, Mapping) else None
        path = _normal_path(_url_path(url)) if url is not None else None
        if path is not None and path not in found:
            found.append(path)
    return tuple(found)


def _normal_path(path: str) -> str:
    parts = [part for part in path.split("/") if part and part != "."]
    return "/" + "/".join(parts) if parts else ""


def _server_url(server: Mapping[str, Any]) -> str | None:
    url = server.get("url")
    if not isinstance(url, str):
        return None
    variables = server.get("variables")
    if not isinstance(variables, Mapping):
        return url

    def default(match: re.Match[str]) -> str:
        variable = variables.get(match[1])
        value = variable.get("default") if isinstance(variable, Mapping) else None
        return str(value) if isinstance(value, str | int | float) else match[0]

    return _SERVER_VARIABLE.sub(default, url)


def _url_path(url: str) -> str:
    """The path of a server URL, absolute (``https://host/v1``, also with a templated scheme
    or host), scheme-relative (``//host/v1``) or relative (``/v1``, ``./v1``)."""
    url = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in url or url.startswith("//"):
        rest = url.split("//", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else ""
    return url


@dataclass(frozen=True, slots=True)
class _Scanned:
    """What reading the files found, for following their ``$ref``s."""

    refs: dict[str, set[str]]  # file -> the distinct $refs of a JSON file, met while parsing
    resourceful: set[str]  # files whose text may hold an $id or $anchor
    resources: Resources  # filled in as the files are walked for them
    walked: bool  # 3.1 and later: JSON Schema 2020-12 has $id and $anchor (Draft 4 has not)

    def written(self, file: str, document: Any) -> set[tuple[str, str]]:
        """The distinct ``(base URI, $ref)`` pairs of a file."""
        if self.walked and file in self.resourceful:
            return self.resources.add(file, document)
        known = self.refs.get(file)
        return {(file, ref) for ref in (known if known is not None else _refs_in(document))}


def _check_refs(uri: str, files: dict[str, Any], scanned: _Scanned) -> None:
    """Follow every ``$ref`` of the contract and of the files it reaches."""
    found: dict[str, set[tuple[str, str]]] = {}  # file -> the (base URI, $ref)s written in it
    pending = [uri]
    later: list[tuple[str, str, str, refs.RefError]] = []  # may name an $id not yet read
    while pending:
        current = pending.pop()
        found[current] = scanned.written(current, files[current])
        for base, ref in sorted(found[current]):
            try:
                target, pointer = scanned.resources.resolve_from(base, ref)
            except refs.RefError as exc:
                later.append((current, base, ref, exc))
                continue
            if target not in files:
                files[target], target_refs, may_have = _read_referenced(current, target, ref)
                if target_refs is not None:
                    scanned.refs[target] = target_refs
                if may_have:
                    scanned.resourceful.add(target)
                pending.append(target)
            try:
                refs.lookup(files[target], pointer)
            except refs.RefError as exc:
                raise ContractError(
                    _path_of(current), None, f"$ref {ref!r} cannot be resolved: {exc}"
                ) from None
    for current, base, ref, error in later:  # every file is read: their $ids are known
        try:
            target, pointer = scanned.resources.resolve_from(base, ref)
            refs.lookup(files[target], pointer)
        except (refs.RefError, KeyError):
            raise ContractError(_path_of(current), None, str(error)) from None
    _check_cycles(files, found, scanned)


def _read_referenced(current: str, target: str, ref: str) -> tuple[Any, set[str] | None, bool]:
    try:
        return _read(_path_of(target))
    except ContractError as exc:
        raise ContractError(_path_of(current), None, f"$ref {ref!r} names {exc}") from None


def _path_of(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def _refs_in(document: Any) -> set[str]:
    """The distinct ``$ref`` strings of a parsed document (JSON and YAML give dicts and lists)."""
    found: set[str] = set()
    stack = [document]
    seen: set[int] = set()  # a recursive YAML alias makes a value that contains itself
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


def _check_cycles(
    files: Mapping[str, Any], found: Mapping[str, set[tuple[str, str]]], scanned: _Scanned
) -> None:
    """A ``$ref`` whose target is a ``$ref``... that comes back to itself has no meaning."""
    done: set[tuple[str, str]] = set()
    for uri in files:
        for base, ref in sorted(found.get(uri, ())):
            chain: list[tuple[str, str]] = []
            next_ref: str | None = ref
            while next_ref is not None:
                key = scanned.resources.resolve_from(base, next_ref)
                if key in done:
                    break
                if key in chain:
                    names = " -> ".join(f"#{p}" for _, p in [*chain[chain.index(key) :], key])
                    raise ContractError(
                        _path_of(uri),
                        None,
                        f"its $refs go round in a circle ({names}); "
                        "point one of them at a real schema",
                    )
                chain.append(key)
                next_ref = refs.ref_of(refs.lookup(files[key[0]], key[1]))
                base = scanned.resources.base_of(*key)
            done.update(chain)


def _operations(contract: Contract) -> tuple[Operation, ...]:
    uri, pointer, paths = contract.child(contract.uri, "", contract.root, "paths")
    if paths is None:
        return ()
    if not isinstance(paths, dict):  # a loaded document is dicts and lists (see refs)
        raise ContractError(contract.path, None, "'paths' is not a mapping of path templates")
    found = []
    for template, raw_item in paths.items():
        item_pointer = f"{pointer}/{refs.escape(str(template))}"
        item_uri, item_pointer, item = contract.follow(uri, item_pointer, raw_item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            node = item.get(method)
            if isinstance(node, dict):
                found.append(
                    Operation(
                        method=method.upper(),
                        template=str(template),
                        uri=item_uri,
                        pointer=f"{item_pointer}/{method}",
                        node=node,
                        path_item=item,
                    )
                )
    return tuple(found)
