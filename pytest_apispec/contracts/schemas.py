"""Validating JSON against a schema of a contract, or an author's own, in the right dialect.

The validators come from openapi-schema-validator (OpenAPI 3.0's ``nullable``, ``readOnly`` and
``writeOnly`` by direction, 3.1's JSON Schema 2020-12) and jsonschema, imported on first use.
Swagger 2.0 schemas are the 3.0 dialect's Draft 4 subset plus ``x-nullable``, which the 2.0
validators here add. A validator is compiled once per schema and direction, and kept with its
contract.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from pytest_apispec.contracts import refs
from pytest_apispec.contracts.document import Contract, Version
from pytest_apispec.contracts.violations import Violation, json_path, short

MAX_VIOLATIONS = 50


class Direction(enum.Enum):
    """Which way a message goes: ``readOnly`` may not be sent, ``writeOnly`` not answered."""

    RESPONSE = "response"
    REQUEST = "request"


class Dialect(enum.Enum):
    SWAGGER2 = "Swagger 2.0 (Draft 4 with x-nullable)"
    OAS30 = "OpenAPI 3.0"
    OAS31 = "OpenAPI 3.1 (JSON Schema 2020-12)"
    OAS32 = "OpenAPI 3.2 (JSON Schema 2020-12)"
    JSON_SCHEMA = "JSON Schema 2020-12"


_DIALECTS = {
    Version.SWAGGER2: Dialect.SWAGGER2,
    Version.OAS30: Dialect.OAS30,
    Version.OAS31: Dialect.OAS31,
    Version.OAS32: Dialect.OAS32,
}


def dialect_of(contract: Contract | None) -> Dialect:
    return _DIALECTS[contract.version] if contract is not None else Dialect.JSON_SCHEMA


# ---------------------------------------------------------------- validator classes


@functools.cache
def validator_class(dialect: Dialect, direction: Direction) -> Any:
    import jsonschema  # type: ignore[import-untyped]
    import openapi_schema_validator as oas

    if dialect is Dialect.JSON_SCHEMA:
        return jsonschema.Draft202012Validator
    if dialect in (Dialect.OAS30, Dialect.SWAGGER2):
        base = (
            oas.OAS30ReadValidator if direction is Direction.RESPONSE else oas.OAS30WriteValidator
        )
        plain = jsonschema.Draft4Validator.VALIDATORS
        if dialect is Dialect.OAS30:
            return jsonschema.validators.extend(base, _chosen_once(base, plain))
        # 2.0's discriminator is a property's name, not 3.0's object: it chooses no schema
        composed = {keyword: plain[keyword] for keyword in _COMPOSITIONS}
        return jsonschema.validators.extend(base, {"type": _x_nullable_type(base), **composed})
    base = (
        getattr(oas, "OAS32Validator", oas.OAS31Validator)
        if dialect is Dialect.OAS32
        else (oas.OAS31Validator)
    )
    hidden = "writeOnly" if direction is Direction.RESPONSE else "readOnly"
    return jsonschema.validators.extend(
        base,
        {
            hidden: _forbidden(hidden, direction),
            "required": _required_except(hidden, base),
            **_chosen_once(base, jsonschema.Draft202012Validator.VALIDATORS),
        },
    )


_COMPOSITIONS = ("allOf", "anyOf", "oneOf")


def _chosen_once(base: Any, plain: Mapping[str, Any]) -> dict[str, Any]:
    """The dialect's ``allOf``, ``anyOf`` and ``oneOf``, whose ``discriminator`` chooses a
    schema for a value once.

    A common contract puts the discriminator on the parent (``Pet: {oneOf: [Cat, Dog],
    discriminator: ...}``) and makes each child ``allOf: [Pet, ...]``. The chosen ``Cat``
    brings the value back to ``Pet``, whose discriminator would choose ``Cat`` again, without
    end. Back at a schema whose discriminator already chose for this very value, ``oneOf`` and
    ``anyOf`` are what was chosen, and ``allOf`` is its schemas as written.
    """
    choosing: set[tuple[int, int]] = set()  # (schema, value) whose discriminator is choosing

    def once(keyword: str) -> Any:
        dialect, written = base.VALIDATORS[keyword], plain[keyword]

        def composition(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
            if not isinstance(schema, Mapping) or "discriminator" not in schema:
                return dialect(validator, value, instance, schema)
            key = (id(schema), id(instance))
            if key in choosing:
                return written(validator, value, instance, schema) if keyword == "allOf" else ()
            return _choosing(choosing, key, dialect(validator, value, instance, schema))

        return composition

    return {keyword: once(keyword) for keyword in _COMPOSITIONS}


def _choosing(choosing: set[tuple[int, int]], key: tuple[int, int], errors: Any) -> Any:
    choosing.add(key)
    try:
        yield from errors
    finally:
        choosing.discard(key)


def _x_nullable_type(base: Any) -> Any:
    """Swagger 2.0's ``x-nullable: true`` is 3.0's ``nullable: true``."""
    check = base.VALIDATORS["type"]

    def type_(validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        if instance is None and schema.get("x-nullable") is True:
            return iter(())
        return check(validator, types, instance, schema)

    return type_


def _forbidden(keyword: str, direction: Direction) -> Any:
    def forbidden(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

        if value is True:
            yield ValidationError(f"{keyword} property in a {direction.value}")

    return forbidden


def _required_except(hidden: str, base: Any) -> Any:
    """3.1's ``required``, where a ``writeOnly`` property need not be answered (and a
    ``readOnly`` one not sent), as openapi-schema-validator does for 3.0."""
    check = base.VALIDATORS["required"]

    def required(validator: Any, names: Any, instance: Any, schema: Any) -> Any:
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(properties, Mapping) and isinstance(names, list):
            names = [n for n in names if not _flag(properties.get(n), hidden)]
        return check(validator, names, instance, schema)

    return required


def _flag(schema: Any, keyword: str) -> bool:
    return isinstance(schema, Mapping) and schema.get(keyword) is True


# ---------------------------------------------------------------- compiling


def _registry(contract: Contract) -> Any:
    registry = contract.cache.get("registry")
    if registry is None:
        from referencing import Registry
        from referencing.jsonschema import DRAFT4, DRAFT202012

        specification = (
            DRAFT4 if contract.version in (Version.SWAGGER2, Version.OAS30) else DRAFT202012
        )
        if contract.resources.anchors:
            specification = _anchors_found(specification, contract)
        registry = Registry().with_resources(
            (uri, specification.create_resource(document))
            for uri, document in contract.files.items()
        )
        # a 3.1 schema's $id inside the OpenAPI document, which is no schema to crawl
        registry = registry.with_resources(
            (identifier, specification.create_resource(refs.lookup(contract.files[file], at)))
            for identifier, (file, at) in contract.resources.ids.items()
        )
        contract.cache["registry"] = registry
    return registry


def _anchors_found(specification: Any, contract: Contract) -> Any:
    """``specification``, for which an OpenAPI document holds the schemas with an ``$anchor``
    in it: JSON Schema finds a schema's anchors by its keywords, and a document's
    ``components`` is none. An anchor outside every ``$id`` is then the file's own (the
    ``$id``s themselves are registered by :func:`_registry`)."""
    import attrs  # referencing's own dependency: its Specification is an attrs class

    hosts: dict[int, list[Any]] = {}
    for file, pointer in contract.resources.anchors.values():
        if pointer:  # a file that is one schema is crawled as one already
            root = contract.files[file]
            hosts.setdefault(id(root), []).append(refs.lookup(root, pointer))
    within = specification.subresources_of

    def subresources_of(contents: Any) -> Any:
        found = hosts.get(id(contents))
        return found if found is not None else within(contents)

    return attrs.evolve(specification, subresources_of=subresources_of)


@functools.cache
def _plain_registry() -> Any:
    from referencing import Registry

    return Registry()


class SchemaCheck:
    """A compiled validator and how to report what it finds."""

    def __init__(
        self,
        validator: Any,
        direction: Direction,
        files: Mapping[str, Any],
        label: str = "",
        contract: Contract | None = None,
    ) -> None:
        self.validator = validator
        self.direction = direction
        self.files = files
        self.label = label
        self.contract = contract
        self._own_places: dict[int, tuple[str, str]] | None = None

    def violations(self, instance: Any, where: Any = ()) -> list[Violation]:
        try:
            errors = list(_bounded(self.validator.iter_errors(instance)))
        except RecursionError:
            return [Violation("", "a schema that ends (its $refs recurse without end)")]
        except Exception as exc:
            unknown = self._unknown_type(exc)
            if unknown is None:
                raise
            return [unknown]
        except BaseException as exc:
            # a compiled library's panic (pyo3's PanicException, of referencing's rpds, when
            # the recursion ran out of stack there) is no Exception, and would end the run
            if type(exc).__name__ != "PanicException":
                raise
            return [Violation("", "a schema that ends (its $refs recurse without end)")]
        found: list[Violation] = []
        required_seen: set[tuple[str, str]] = set()  # one error per missing name: list them once
        for error in errors:
            for violation in self._describe(error, where):
                if violation.wants.startswith("required: "):
                    key = (violation.where, violation.location)
                    if key in required_seen:
                        continue
                    required_seen.add(key)
                    found += self._missing(error, violation.where, violation.location)
                    continue
                if violation not in found:  # 3.0's type check can say one thing twice
                    found.append(violation)
        if len(found) > MAX_VIOLATIONS:
            found = [
                *found[:MAX_VIOLATIONS],
                Violation("", f"... {len(found) - MAX_VIOLATIONS} more"),
            ]
        return found

    def _unknown_type(self, exc: Exception) -> Violation | None:
        """A contract's mistake (``type: integr``, 2.0's ``type: file`` where a body is
        JSON): one line saying so, where it is written, instead of the validator's dump."""
        from jsonschema.exceptions import UndefinedTypeCheck, UnknownType

        if not isinstance(exc, UnknownType | UndefinedTypeCheck):
            return None
        wants = f"a schema with a JSON Schema type (the contract says type: {_plain(exc.type)})"
        schema = getattr(exc, "schema", None)  # UndefinedTypeCheck does not say which schema
        return Violation("", wants, location=self._location(schema))

    def _describe(self, error: Any, where: Any) -> list[Violation]:
        path = json_path([*where, *error.absolute_path])
        location = self._location(error.schema)
        keyword, value = error.validator, error.validator_value
        if keyword == "required":
            return [Violation(path, "required: ", "", location)]
        chooser = _discriminator(keyword, error.schema)
        if chooser is not None:  # it chose no schema: the value names none, or is missing
            name, known = chooser
            got = error.instance.get(name) if isinstance(error.instance, Mapping) else None
            wants = f"discriminator {name}: " + (
                f"one of [{', '.join(known)}]" if known else "a schema's name"
            )
            return [
                Violation(path, wants, short(got) if got is not None else "(missing)", location)
            ]
        return [
            Violation(path, _wants(keyword, value, self.direction), short(error.instance), location)
        ]

    def _missing(self, error: Any, path: str, location: str) -> list[Violation]:
        instance, schema = error.instance, error.schema
        hidden = "writeOnly" if self.direction is Direction.RESPONSE else "readOnly"
        properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        names = [
            name
            for name in error.validator_value
            if isinstance(instance, Mapping)
            and name not in instance
            and not _flag(properties.get(name) if isinstance(properties, Mapping) else None, hidden)
        ]
        return [Violation(path, f"required: {name}", "(missing)", location) for name in names]

    def _location(self, schema: Any) -> str:
        """Where in the contract the failing schema is: ``file#/pointer``."""
        if not isinstance(schema, Mapping | list):
            return ""
        if self.contract is not None:
            found = _places(self.contract).get(id(schema))
            if found is not None:
                return self.contract.location(*found)
        if self.label:
            own = self._own_places.get(id(schema)) if self._own_places else None
            if own is None and self._own_places is None:
                self._own_places = _walk_places({"": self.validator.schema})
                own = self._own_places.get(id(schema))
            if own is not None and own[1]:  # the whole schema is where the line says already
                return f"{self.label}#{own[1]}"
        return ""


def _places(contract: Contract) -> dict[int, tuple[str, str]]:
    """Every mapping of the contract's files by identity: the validator hands back the very
    schema object that failed, and this says where it is written. Built on the first
    violation only."""
    places = contract.cache.get("places")
    if places is None:
        places = contract.cache["places"] = _walk_places(contract.files)
    return places


def _walk_places(files: Mapping[str, Any]) -> dict[int, tuple[str, str]]:
    places: dict[int, tuple[str, str]] = {}
    for uri, document in files.items():
        stack: list[tuple[Any, str]] = [(document, "")]
        while stack:
            node, pointer = stack.pop()
            if id(node) in places:
                continue
            if isinstance(node, Mapping):
                places[id(node)] = (uri, pointer)
                stack.extend((v, f"{pointer}/{refs.escape(str(k))}") for k, v in node.items())
            elif isinstance(node, list):
                places[id(node)] = (uri, pointer)
                stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
    return places


def _discriminator(keyword: str, schema: Any) -> tuple[str, list[str]] | None:
    """The property a 3.x ``discriminator`` beside the failing composition reads, and the
    values its mapping names; ``None`` for any other failure."""
    if keyword not in _COMPOSITIONS or not isinstance(schema, Mapping):
        return None
    chooser = schema.get("discriminator")
    if not isinstance(chooser, Mapping) or not isinstance(chooser.get("propertyName"), str):
        return None
    mapping = chooser.get("mapping")
    known = [str(value) for value in mapping] if isinstance(mapping, Mapping) else []
    return chooser["propertyName"], known


def _bounded(errors: Iterator[Any]) -> Iterator[Any]:
    for count, error in enumerate(errors):
        if count > MAX_VIOLATIONS:
            return
        yield error


def _wants(keyword: str, value: Any, direction: Direction) -> str:
    if keyword == "type":
        return f"type: {_plain(value)}"
    if keyword == "enum" and isinstance(value, list):
        return short_text("enum: [" + ", ".join(_plain(v) for v in value) + "]")
    if keyword in ("oneOf", "anyOf") and isinstance(value, list):
        how = "exactly" if keyword == "oneOf" else "at least"
        return f"{keyword}: {how} one of {len(value)} schemas"
    if keyword == "writeOnly":
        return "writeOnly: not in a response"
    if keyword == "readOnly":
        return "readOnly: not in a request"
    if keyword == "additionalProperties" and value is False:
        return "no properties but those listed (additionalProperties: false)"
    if keyword == "not":
        return "not: " + short(value, 40)
    return short_text(f"{keyword}: {_plain(value)}")


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return short(value, 40)


def short_text(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def contract_check(contract: Contract, uri: str, pointer: str, direction: Direction) -> SchemaCheck:
    """The check of the schema at ``uri#pointer``, compiled once."""
    key = ("check", uri, pointer, direction)
    check = contract.cache.get(key)
    if check is None:
        cls = _contract_class(contract, direction)
        check = contract.cache[key] = SchemaCheck(
            _compiled(contract, cls, uri, pointer), direction, contract.files, "", contract
        )
    return check


def _compiled(contract: Contract, cls: Any, uri: str, pointer: str) -> Any:
    """A validator of the schema at ``uri#pointer``.

    Swagger 2.0 and OpenAPI 3.0 start at the schema itself, resolving its references from
    its file (jsonschema's ``_resolver``): compiling then makes no registry with a new root,
    and each validation skips one ``$ref``. 3.1's dynamic scope, or a jsonschema without that
    argument, start from a ``$ref`` to it.
    """
    registry = _registry(contract)
    if contract.version in (Version.SWAGGER2, Version.OAS30):
        try:
            return cls(
                refs.lookup(contract.files[uri], pointer),
                registry=registry,
                format_checker=cls.FORMAT_CHECKER,
                _resolver=registry.resolver(base_uri=uri),
            )
        except TypeError:  # pragma: no cover - a jsonschema without the argument
            pass
    within = contract.resources.inside(uri, pointer)  # from its $id: its $refs are relative
    target = f"{within[0]}#{within[1]}" if within is not None else f"{uri}#{pointer}"
    return cls({"$ref": target}, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _contract_class(contract: Contract, direction: Direction) -> Any:
    """The dialect's validator class, with ``$ref`` resolved once per contract (Swagger 2.0 and
    OpenAPI 3.0: Draft 4 has no dynamic scope, so where a ``$ref`` leads depends only on the
    resource it is written in)."""
    key = ("class", direction)
    cls = contract.cache.get(key)
    if cls is None:
        cls = validator_class(dialect_of(contract), direction)
        if contract.version in (Version.SWAGGER2, Version.OAS30):
            import jsonschema

            remembered = contract.cache.setdefault("refs", {})
            cls = jsonschema.validators.extend(cls, {"$ref": _remembered_ref(remembered)})
            cls.evolve = _remembered_evolve(cls.evolve)
        contract.cache[key] = cls
    return cls


# how many subschemas (with the resolver they are read with) the validators of a contract's
# class keep the validator of, at about 500 bytes each (10 MB at most): the run of 300 docs on
# the 2 MB contract in bench/ keeps about 1,200
REMEMBERED_SUBSCHEMAS = 20_000


def _remembered_evolve(evolve: Any) -> Any:
    """jsonschema's ``evolve``, keeping the validator it makes for a subschema instead of
    making it again for every value of every response.

    Validating descends into each subschema with ``evolve(schema=..., _resolver=...)``. The
    validator made depends on those two and on what the validator it is made from holds,
    which is the same for every validator of one contract's class (the contract's registry,
    the class's format checker: see ``_compiled``). With the resolvers the remembered
    ``$ref`` gives, a subschema meets the same resolver again. Any other call goes
    jsonschema's own way.
    """
    made: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def remembered(self: Any, schema: Any = None, _resolver: Any = None, **others: Any) -> Any:
        if others or _resolver is None or not isinstance(schema, dict):
            if schema is not None:
                others["schema"] = schema
            if _resolver is not None:
                others["_resolver"] = _resolver
            return evolve(self, **others)
        known = made.get((id(schema), id(_resolver)))
        if known is not None and known[0] is schema and known[1] is _resolver:
            return known[2]
        evolved = evolve(self, schema=schema, _resolver=_resolver)
        if len(made) < REMEMBERED_SUBSCHEMAS:
            # the objects themselves are kept, so that their ids are not reused
            made[id(schema), id(_resolver)] = (schema, _resolver, evolved)
        return evolved

    return remembered


def _remembered_ref(resolved: dict[tuple[str, str], tuple[Any, Any]]) -> Any:
    """jsonschema's ``$ref``, remembering where each reference leads instead of looking it up
    in the registry again for every response (a third of the time validating took).

    What a lookup gives depends on the base URI of the resource the ``$ref`` is written in and
    the reference, within one contract's registry. The root a check starts from has no base
    URI; from there only an absolute reference (``file:///...#/paths/...``, as every check's
    root is) is remembered. Anything unexpected goes jsonschema's own way, errors included.
    """

    def ref(validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[Any]:
        resolver = getattr(validator, "_resolver", None)
        base = getattr(resolver, "_base_uri", None)
        found = None
        if isinstance(base, str) and (base or _is_absolute(ref)):
            found = resolved.get((base, ref))
            if found is None:
                try:
                    lookup = resolver.lookup(ref)  # type: ignore[union-attr]
                except Exception:  # unresolvable: jsonschema reports it its own way, below
                    lookup = None
                if lookup is not None:
                    found = resolved[base, ref] = (lookup.contents, lookup.resolver)
        if found is None:
            yield from validator._validate_reference(ref=ref, instance=instance)
            return
        yield from validator.descend(instance, found[0], resolver=found[1])

    return ref


@functools.lru_cache(maxsize=4096)
def _is_absolute(ref: str) -> bool:
    return bool(urlsplit(ref).scheme)


def own_check(schema: Any, contract: Contract | None, label: str) -> SchemaCheck:
    """The check of a schema a doc writes itself (``expect.schema``, ``expect.match``), in
    its contract's dialect; ``#/...`` references go into that contract."""
    plain = thaw(schema)
    files: Mapping[str, Any] = {}
    if contract is not None:
        plain = _anchor_refs(plain, contract.uri)
        files = contract.files
    cls = validator_class(dialect_of(contract), Direction.RESPONSE)
    registry = _registry(contract) if contract is not None else _plain_registry()
    validator = cls(plain, registry=registry, format_checker=cls.FORMAT_CHECKER)
    return SchemaCheck(validator, Direction.RESPONSE, files, label, contract)


def schema_problem(schema: Any) -> str | None:
    """Why an author's schema is not a schema, or ``None``.

    Checked at collection, before any contract is loaded: valid JSON Schema 2020-12, or
    Draft 4 (the OpenAPI 3.0 and Swagger 2.0 base), is accepted.
    """
    import jsonschema

    plain = thaw(schema)
    if not isinstance(plain, Mapping | bool):
        return f"must be a mapping (a JSON Schema), not {short(plain, 40)}"
    problems = []
    for cls in (jsonschema.Draft202012Validator, jsonschema.Draft4Validator):
        errors = sorted(cls(cls.META_SCHEMA).iter_errors(plain), key=lambda e: list(e.path))
        if not errors:
            return None
        problems.append(errors[0])
    first = problems[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(the top)"
    return (
        f"breaks the JSON Schema rule '{first.validator}' at {where} ({short(first.instance, 40)})"
    )


def thaw(value: Any) -> Any:
    """Plain dicts and lists from the doc format's frozen values."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _anchor_refs(schema: Any, uri: str) -> Any:
    if isinstance(schema, dict):
        return {
            k: (
                uri + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _anchor_refs(v, uri)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_anchor_refs(v, uri) for v in schema]
    return schema
