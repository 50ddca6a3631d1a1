"""One OpenAPI document for the frontend, merged from the backends' own documents.

Only operations the gateway routes are kept, with the components they reach. Components of the
same name but different shape are renamed after their backend so that neither is lost.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from invoice_gateway.domain.routing import Backend, Route, RoutingTable

BEARER_SCHEME = "bearerAuth"
OPENAPI_VERSION = "3.1.0"
_OPERATION_KEYS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAMETER = re.compile(r"\{[^}/]+\}")
_COMPONENT_REF = re.compile(r"#/components/([^/]+)/(.+)")
# The gateway declares its own security scheme; a backend's would describe a different edge.
_SKIPPED_SECTIONS = frozenset({"securitySchemes"})

Json = dict[str, Any]
ComponentKey = tuple[str, str]


def _shape(path: str) -> str:
    return _PARAMETER.sub("{}", path)


def _refs(node: Any) -> Iterator[ComponentKey]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found = _COMPONENT_REF.fullmatch(value)
                if found:
                    yield found.group(1), found.group(2)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _rewrite_refs(node: Any, renamed: Mapping[ComponentKey, str]) -> Any:
    if isinstance(node, dict):
        rewritten: Json = {}
        for key, value in node.items():
            found = (
                _COMPONENT_REF.fullmatch(value)
                if key == "$ref" and isinstance(value, str)
                else None
            )
            if found and (found.group(1), found.group(2)) in renamed:
                section = found.group(1)
                rewritten[key] = f"#/components/{section}/{renamed[(section, found.group(2))]}"
            else:
                rewritten[key] = _rewrite_refs(value, renamed)
        return rewritten
    if isinstance(node, list):
        return [_rewrite_refs(item, renamed) for item in node]
    return node


def _routed_paths(table: RoutingTable, backend: Backend, document: Json) -> Json:
    """The backend's path items, cut down to the operations the gateway routes to it."""
    routes: dict[tuple[str, str], Route] = {
        (route.method.lower(), _shape(route.path)): route
        for route in table.routes
        if route.backend == backend
    }
    kept: Json = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        operations: Json = {}
        for method in _OPERATION_KEYS:
            route = routes.get((method, _shape(path)))
            if route is None or not isinstance(item.get(method), dict):
                continue
            operation = copy.deepcopy(item[method])
            operation["security"] = [] if route.public else [{BEARER_SCHEME: []}]
            operations[method] = operation
        if operations:
            if "parameters" in item:
                operations["parameters"] = copy.deepcopy(item["parameters"])
            kept[path] = operations
    return kept


def _reachable(paths: Json, components: Json) -> list[ComponentKey]:
    """Components the kept paths use, directly or through other components, in a stable order."""
    seen: dict[ComponentKey, None] = {}
    pending = list(_refs(paths))
    while pending:
        key = pending.pop()
        section, name = key
        definition = (components.get(section) or {}).get(name)
        if key in seen or definition is None or section in _SKIPPED_SECTIONS:
            continue
        seen[key] = None
        pending.extend(_refs(definition))
    return sorted(seen)


def _renames(
    backend: Backend, wanted: list[ComponentKey], components: Json, merged: Json
) -> dict[ComponentKey, str]:
    """New names for this backend's components that clash with different ones already merged."""
    renamed: dict[ComponentKey, str] = {}

    def rename(key: ComponentKey) -> None:
        section, name = key
        candidate = f"{backend.value.capitalize()}{name}"
        while candidate in merged.get(section, {}):
            candidate = f"{backend.value.capitalize()}{candidate}"
        renamed[key] = candidate

    for key in wanted:
        section, name = key
        existing = merged.get(section, {}).get(name)
        if existing is not None and existing != components[section][name]:
            rename(key)
    # A component that is identical on its face but refers to a renamed one differs in meaning.
    changed = True
    while changed:
        changed = False
        for key in wanted:
            section, name = key
            if key in renamed or name not in merged.get(section, {}):
                continue
            if any(ref in renamed for ref in _refs(components[section][name])):
                rename(key)
                changed = True
    return renamed


def merge_api_documents(
    table: RoutingTable,
    documents: Mapping[Backend, Json],
    missing: Mapping[Backend, str],
    *,
    title: str,
    version: str,
    description: str,
) -> Json:
    """The gateway's document: the routed operations of every backend that answered."""
    paths: Json = {}
    components: Json = {}
    for backend in Backend:
        document = documents.get(backend)
        if document is None:
            continue
        own_components = document.get("components") or {}
        kept = _routed_paths(table, backend, document)
        wanted = _reachable(kept, own_components)
        renamed = _renames(backend, wanted, own_components, components)
        for path, item in _rewrite_refs(kept, renamed).items():
            paths.setdefault(path, {}).update(item)
        for key in wanted:
            section, name = key
            definition = _rewrite_refs(own_components[section][name], renamed)
            components.setdefault(section, {})[renamed.get(key, name)] = definition
    components["securitySchemes"] = {
        BEARER_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The access token from POST /auth/login or POST /auth/refresh.",
        }
    }
    notes = [
        f"The {backend} service's API description could not be fetched ({reason}), "
        "so its endpoints are missing from this document."
        for backend, reason in missing.items()
    ]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "\n\n".join([description, *notes]) if notes else description,
        },
        "paths": dict(sorted(paths.items())),
        "components": {section: dict(sorted(c.items())) for section, c in components.items()},
    }
