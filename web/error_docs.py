"""Which error statuses each API operation can answer, derived once for every route when the app is built.

Nobody writes errors per route: ``document_errors`` reads what each handler declares and does — its
roles (core/access.py), its path, query and body inputs, its method, its body limit, and the domain
errors (core/errors.py) its code can reach — and sets the handler's ``responses``, each with the one
error body ``ApiError`` (web/errors.py) and what the status means there. Because the 400 it sets
replaces Litestar's own ``ValidationException`` answer, the schema shows only ``ApiError``.
``ApiOpenAPIConfig`` adds the ``Retry-After`` header to every 429 (a ``ResponseSpec`` cannot carry
headers).
"""

from __future__ import annotations

import dis
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from types import CodeType, ModuleType
from typing import Any

import msgspec
from litestar import Litestar
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIHeader, OpenAPIResponse, Schema
from litestar.openapi.spec.enums import OpenAPIType

from core.access import PUBLIC_MARK, ROLES_KEY, route_handlers
from core.contexts import CONTEXTS
from core.errors import DomainError
from web.errors import ApiError

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Modules whose functions the scan for reachable domain errors follows: ours, not libraries'.
OWN_PACKAGES = frozenset({"core", "web", "crypto", *CONTEXTS})
SCAN_DEPTH = 8


@dataclass(frozen=True)
class Route:
    """What an operation declares and does, as far as its error answers go."""

    methods: frozenset[str]
    public: bool
    roles: str
    path_params: bool
    inputs: bool  # query, header or cookie parameters, or a body
    body: bool
    max_body: int | None
    raises: frozenset[type[DomainError]]

    @property
    def changes_state(self) -> bool:
        return bool(self.methods & STATE_CHANGING)

    def can_raise(self, status: int) -> bool:
        return any(error.status_code == status for error in self.raises)


# Each status an operation can answer, when it applies, and what it means there.
ERROR_CASES: list[tuple[int, Callable[[Route], bool], Callable[[Route], str]]] = [
    (
        400,
        lambda r: r.inputs or r.path_params or r.can_raise(400),
        lambda r: (
            "`invalid_request`: a parameter or the body does not match this schema (`fields` says which);"
            " or the request cannot be carried out as asked (`bad_request` and the codes of this operation)"
        ),
    ),
    (
        401,
        lambda r: not r.public or r.can_raise(401),
        lambda r: "`not_authenticated`: no valid session cookie or bearer token (log in first)",
    ),
    (403, lambda r: not r.public or r.changes_state or r.can_raise(403), lambda r: _forbidden(r)),
    (
        404,
        lambda r: r.path_params or r.inputs or r.can_raise(404),
        lambda r: (
            "`not_found`: what the path or a parameter names does not exist, or is not visible to this caller"
        ),
    ),
    (
        409,
        lambda r: r.changes_state or r.can_raise(409),
        lambda r: (
            "`conflict` and the operation's own codes: the current state does not allow this now"
            " (a step out of order, a deadline passed, a repeated or concurrent request)"
        ),
    ),
    (
        413,
        lambda r: r.body,
        lambda r: f"`too_large`: the body is larger than this operation accepts ({r.max_body} bytes)",
    ),
    (
        415,
        lambda r: r.changes_state,
        lambda r: (
            "`unsupported_media_type`: a cookie-authenticated body that is not JSON or one of the upload"
            " types (octet-stream, JSON lines, CSV)"
        ),
    ),
    (
        422,
        lambda r: r.inputs or r.can_raise(422),
        lambda r: (
            "`invalid_input` and the operation's own codes: the values are well-formed but not"
            " acceptable (a rule of the tender, the law or the data refuses them)"
        ),
    ),
    (
        429,
        lambda r: r.can_raise(429),
        lambda r: "`too_many_attempts`: too many failures from this client; wait the `Retry-After` seconds",
    ),
]


def _forbidden(route: Route) -> str:
    meaning = f"the caller's roles are none of: {route.roles}" if not route.public else "refused"
    if route.changes_state:
        meaning += (
            "; or a cookie-authenticated browser request from another origin, or a form without its"
            " CSRF token (core/csrf.py)"
        )
    return f"`forbidden`: {meaning}"


def error_responses(route: Route) -> dict[int, ResponseSpec]:
    """The documented error answers of one operation: a status for each case that applies."""
    statuses = {status: meaning(route) for status, applies, meaning in ERROR_CASES if applies(route)}
    for error in route.raises:  # a domain error with a status of its own (415 from core/csrf.py, …)
        statuses.setdefault(error.status_code, f"`{error.code}`: {(error.__doc__ or error.code).strip()}")
    return {
        status: ResponseSpec(data_container=ApiError, description=meaning, generate_examples=False)
        for status, meaning in sorted(statuses.items())
    }


def document_errors(app: Litestar) -> None:
    """Set every API operation's documented error responses (pages and framework routes excepted)."""
    for path, handler in route_handlers(app):
        if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema():
            handler.responses = {**error_responses(describe(path, handler)), **(handler.responses or {})}


def describe(path: str, handler: HTTPRouteHandler) -> Route:
    declared = handler.opt.get(ROLES_KEY)
    dependencies = handler.resolve_dependencies()
    own = set(handler.parsed_fn_signature.parameters)
    inputs = {name for name in own if name not in RESERVED_KWARGS and name not in dependencies}
    callables: list[Callable[..., Any]] = [handler.fn]
    for name in own & set(dependencies):
        provider = dependencies[name]
        callables.append(provider.dependency)
        inputs |= {
            param
            for param in provider.parsed_fn_signature.parameters
            if param not in RESERVED_KWARGS and param not in dependencies
        }
    path_params = {part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")}
    methods = frozenset(handler.http_methods)
    body = bool(methods & STATE_CHANGING) and bool(own & {"data", "body", "request"})
    return Route(
        methods=methods,
        public=declared == PUBLIC_MARK,
        roles="" if declared == PUBLIC_MARK else ", ".join(sorted(str(role) for role in declared or ())),
        path_params=bool(path_params),
        inputs=bool(inputs - path_params) or "data" in own or "body" in own,
        body=body,
        max_body=handler.resolve_request_max_body_size() if body else None,
        raises=frozenset(reachable_errors(callables)),
    )


def reachable_errors(roots: list[Callable[..., Any]]) -> set[type[DomainError]]:
    """The domain error classes the code of ``roots`` names, following the functions they call in our
    own modules (by global name or ``module.function``), as far as they can be found without running
    them. Methods called on objects are not followed, so this can miss errors; the schemathesis test
    (tests/web/test_api_schemathesis.py) would show an undocumented status."""
    found: set[type[DomainError]] = set()
    seen: set[CodeType] = set()
    todo = [(fn, 0) for root in roots if (fn := _own_function(root)) is not None]
    while todo:
        fn, depth = todo.pop()
        if fn.__code__ in seen or depth > SCAN_DEPTH:
            continue
        seen.add(fn.__code__)
        errors, callees = _names_of(fn.__code__, fn.__globals__)
        found |= errors
        todo.extend((callee, depth + 1) for callee in callees)
    return found


def _own_function(obj: Any) -> Any:
    fn = inspect.unwrap(obj) if callable(obj) else obj
    module = getattr(fn, "__module__", "") or ""
    if inspect.isfunction(fn) and module.split(".")[0] in OWN_PACKAGES:
        return fn
    return None


_NAMES_CACHE: dict[CodeType, tuple[frozenset[type[DomainError]], tuple[Any, ...]]] = {}


def _names_of(code: CodeType, names: dict[str, Any]) -> tuple[frozenset[type[DomainError]], tuple[Any, ...]]:
    """The domain errors and our own functions that ``code`` (and the code nested in it) names; each
    code object is read once per process (every app built shares the answer)."""
    if code not in _NAMES_CACHE:
        errors: set[type[DomainError]] = set()
        callees: list[Any] = []
        for obj in named_objects(code, names):
            if isinstance(obj, type) and issubclass(obj, DomainError):
                errors.add(obj)
            elif (fn := _own_function(obj)) is not None:
                callees.append(fn)
        for nested in code.co_consts:  # functions and comprehensions defined inside
            if isinstance(nested, CodeType):
                nested_errors, nested_callees = _names_of(nested, names)
                errors |= nested_errors
                callees.extend(nested_callees)
        _NAMES_CACHE[code] = (frozenset(errors), tuple(callees))
    return _NAMES_CACHE[code]


def named_objects(code: CodeType, names: dict[str, Any]) -> Iterator[Any]:
    """The objects ``code`` loads by global name, and the attributes it loads from modules so named."""
    current: Any = None
    for opcode, name in _name_loads(code):
        if name is None:
            current = None
            continue
        if opcode in _GLOBAL_LOADS:
            current = names.get(name)
        elif opcode in _ATTR_LOADS and isinstance(current, ModuleType):
            current = getattr(current, name, None)
        else:
            current = None
        if isinstance(current, ModuleType) and current.__name__.split(".")[0] not in OWN_PACKAGES:
            current = None
        if current is not None:
            yield current


_GLOBAL_LOADS = {dis.opmap[name] for name in ("LOAD_GLOBAL", "LOAD_NAME")}
_ATTR_LOADS = {dis.opmap[name] for name in ("LOAD_ATTR", "LOAD_METHOD") if name in dis.opmap}
_CACHE = dis.opmap["CACHE"]
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]


def _name_loads(code: CodeType) -> Iterator[tuple[int, str | None]]:
    """(opcode, name) for each instruction, the name only for global and attribute loads; read straight
    from the bytecode because ``dis.get_instructions`` takes seconds over the whole code base."""
    raw, arg = code.co_code, 0
    for at in range(0, len(raw), 2):
        opcode, arg = raw[at], arg | raw[at + 1]
        if opcode == _EXTENDED_ARG:
            arg <<= 8
            continue
        if opcode == _CACHE:
            arg = 0
            continue
        name = None
        if opcode == dis.opmap["LOAD_GLOBAL"]:
            name = code.co_names[arg >> 1]  # 3.11+: the low bit asks for a NULL pushed first
        elif opcode == dis.opmap["LOAD_NAME"]:
            name = code.co_names[arg]
        elif opcode in _ATTR_LOADS:
            name = code.co_names[arg >> 1 if sys.version_info >= (3, 12) else arg]
        yield opcode, name
        arg = 0


RETRY_AFTER = OpenAPIHeader(
    description="Seconds to wait before trying again.", schema=Schema(type=OpenAPIType.INTEGER)
)


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def integer_bounds(node: Any) -> Any:
    """Litestar writes every ``ge``/``le`` as a float (``"maximum": 1000.0``); an integer's bounds are
    integers, so a client generated from the schema does not read the parameter as a float."""
    if isinstance(node, list):
        return [integer_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: integer_bounds(value) for key, value in node.items()}
    types: set[str] = set()
    for spec in (out, *(b for b in out.get("oneOf", []) if isinstance(b, dict))):
        kind = spec.get("type")  # a property named "type" is a dict here, not a type: ignored
        types |= (
            {kind}
            if isinstance(kind, str)
            else {t for t in kind if isinstance(t, str)}
            if isinstance(kind, list)
            else set()
        )
    if "integer" in types and "number" not in types:
        for key in _BOUNDS:
            value = out.get(key)
            if isinstance(value, float) and value.is_integer():
                out[key] = int(value)
    return out


def _struct_classes() -> dict[str, list[type[msgspec.Struct]]]:
    found: dict[str, list[type[msgspec.Struct]]] = {}
    stack: list[type[msgspec.Struct]] = [msgspec.Struct]
    seen: set[type[msgspec.Struct]] = set()
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                found.setdefault(sub.__name__, []).append(sub)
    return found


def _encoded_names(cls: type[msgspec.Struct]) -> set[str]:
    """The names a Struct's JSON object carries: its fields, and its tag field if it is tagged."""
    config = cls.__struct_config__
    tag = {config.tag_field} if config.tag is not None and config.tag_field else set()
    return {f.encode_name for f in msgspec.structs.fields(cls)} | tag


def struct_components(schema: dict[str, Any]) -> Iterator[tuple[dict[str, Any], type[msgspec.Struct]]]:
    """Each component that is certainly one msgspec Struct: same name (or module-qualified name) and
    exactly its fields (and its tag field, if tagged)."""
    classes = _struct_classes()
    for key, component in schema.get("components", {}).get("schemas", {}).items():
        properties = component.get("properties")
        if not isinstance(properties, dict):
            continue
        matches = [
            cls
            for cls in classes.get(str(component.get("title", key)), [])
            if key in (cls.__name__, f"{cls.__module__.replace('.', '_')}_{cls.__name__}")
            and set(properties) == _encoded_names(cls)
        ]
        if len(matches) == 1:
            yield component, matches[0]


def close_strict_objects(schema: dict[str, Any]) -> None:
    """A Struct with ``forbid_unknown_fields`` refuses a field more (400): its component says so with
    ``additionalProperties: false`` (Litestar leaves it open). Tagged unions are left alone."""
    for component, cls in struct_components(schema):
        config = cls.__struct_config__
        if config.forbid_unknown_fields and config.tag is None:
            component.setdefault("additionalProperties", False)


# The keywords that make a value refusable; msgspec enforces each one its Meta states.
CONSTRAINTS = (
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "enum",
    "const",
)


def struct_schema(cls: type[msgspec.Struct]) -> dict[str, Any] | None:
    """msgspec's own JSON schema of ``cls`` (what its decoder enforces), or None if it has none."""
    try:
        found = msgspec.json.schema(cls)
    except (TypeError, ValueError):
        return None
    ref = found.get("$ref")
    own = found.get("$defs", {}).get(ref.rsplit("/", 1)[-1]) if isinstance(ref, str) else found
    return own if isinstance(own, dict) else None


def _branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in node.get("anyOf", node.get("oneOf", [])) if isinstance(b, dict)]


def _same_enum(target: dict[str, Any], source: dict[str, Any]) -> bool:
    """The same values, perhaps in another order."""
    return sorted(map(str, target.get("enum", []))) == sorted(map(str, source["enum"]))


def _fill(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Copy onto ``target`` (Litestar's schema of a value) each constraint ``source`` (msgspec's) states
    that it lacks or states otherwise, following array items and the branches of a union by their type."""
    if "$ref" in target or "$ref" in source:
        return
    for key in CONSTRAINTS:
        if key not in source or (key == "enum" and ("const" in target or _same_enum(target, source))):
            continue
        target[key] = source[key]  # missing, or wrong: Litestar writes 2**63 - 1 through a float
    if isinstance(source.get("items"), dict) and isinstance(target.get("items"), dict):
        _fill(target["items"], source["items"])
    targets = _branches(target)
    for branch in _branches(source) or ([source] if targets else []):
        kind = branch.get("type")
        if kind is None and branch is not source and _branches(branch):
            _fill(target, branch)  # a union inside the union: Litestar flattens it into one
            continue
        if not isinstance(kind, str) or kind == "null":
            continue
        same = [t for t in targets if t.get("type") == kind]
        if not same and branch is not source and target.get("type") == kind:
            same = [target]
        if len(same) == 1:
            _fill(same[0], branch)


def fill_struct_constraints(schema: dict[str, Any]) -> None:
    """Litestar drops some of a Struct's constraints: inside list items (``list[Annotated[str,
    Meta(pattern=...)]]``), on an optional value (``Annotated[X | None, Meta(...)]``) and bounds of zero
    (``ge=0``). msgspec refuses a value that breaks them with 400, so each component that is a Struct
    gets them back from ``msgspec.json.schema`` — the decoder's own statement of what it accepts."""
    for component, cls in struct_components(schema):
        own = struct_schema(cls)
        if own is None:
            continue
        for name, source in own.get("properties", {}).items():
            target = component["properties"].get(name)
            if isinstance(target, dict) and isinstance(source, dict):
                _fill(target, source)


class _ApiOpenAPI(OpenAPI):
    def to_schema(self) -> dict[str, Any]:
        for item in (self.paths or {}).values():
            for operation in (getattr(item, method) for method in ("get", "post", "put", "patch", "delete")):
                response = (operation.responses or {}).get("429") if operation else None
                if isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), "Retry-After": RETRY_AFTER}
        schema: dict[str, Any] = integer_bounds(super().to_schema())
        close_strict_objects(schema)
        fill_struct_constraints(schema)
        return schema


class ApiOpenAPIConfig(OpenAPIConfig):
    """Litestar's OpenAPI configuration, whose document adds ``Retry-After`` to every 429 answer."""

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        return _ApiOpenAPI(**{field.name: getattr(base, field.name) for field in fields(base)})
