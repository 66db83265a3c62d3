"""Runbook YAML in and out: parse with line numbers, validate, and write the canonical spelling.

Errors name the line a person has to fix ("line 12: steps[1].timeout_seconds must be an
integer"): the document is composed into PyYAML nodes once for their marks, and every schema
problem is mapped back to the node at its path. Duplicate keys (which PyYAML silently collapses)
are reported too, so nothing a person wrote is dropped on import.
"""

from __future__ import annotations

import hashlib
import json

import yaml
from django.utils.text import slugify

from .schema import DEFAULT_TARGET, InvalidDefinition, Problem, validate

MAX_DOCUMENT_BYTES = 512 * 1024
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str | bytes) -> dict:
    """Parse and validate one runbook document; return the canonical definition."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidDefinition(
                [Problem((), f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]
            ) from exc
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise InvalidDefinition([Problem((), f"is larger than {MAX_DOCUMENT_BYTES // 1024} KiB")])
    try:
        root, document = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "cannot be parsed"
        where = f" (column {mark.column + 1})" if mark else ""
        raise InvalidDefinition([Problem((), f"is not valid YAML: {reason}{where}", line)]) from exc
    except yaml.YAMLError as exc:
        raise InvalidDefinition([Problem((), f"is not valid YAML: {exc}")]) from exc
    if root is None:
        raise InvalidDefinition([Problem((), "is empty")])
    duplicates = list(_duplicate_keys(root, ()))
    try:
        definition = validate(document)
    except InvalidDefinition as exc:
        problems = duplicates + [Problem(p.path, p.message, line_of(root, p.path)) for p in exc.problems]
        raise InvalidDefinition(sorted(problems, key=lambda p: p.line or 0)) from None
    if duplicates:
        raise InvalidDefinition(duplicates)
    return definition


def _parse_with(loader_class, text: str):
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _parse(text: str):
    """One parse gives both the nodes (for line numbers) and the data.

    libyaml's parser when present (about ten times faster, which a Git sync of a thousand files
    notices); a document it refuses is parsed again in pure Python, so syntax errors read the same
    (message and line) whichever is installed.
    """
    if _Loader is yaml.SafeLoader:
        return _parse_with(yaml.SafeLoader, text)
    try:
        return _parse_with(_Loader, text)
    except yaml.YAMLError:
        return _parse_with(yaml.SafeLoader, text)


def _duplicate_keys(node, path):
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                yield Problem(
                    path + (key,),
                    "is given twice (the later value would silently win)",
                    key_node.start_mark.line + 1,
                )
            seen.add(key)
            yield from _duplicate_keys(value_node, path + (key,))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, path + (i,))


def line_of(root, path) -> int | None:
    """The 1-based line of the node at `path`, or of its nearest existing ancestor."""
    node, line = root, root.start_mark.line + 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            line = node.start_mark.line + 1
    return line


def checksum(definition: dict) -> str:
    """A stable digest of a canonical definition: equal digests mean nothing changed."""
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- export --------------------------------------------------------------------------------------
COMMAND_ORDER = (
    "name",
    "type",
    "description",
    "command_linux",
    "requires_elevation",
    "timeout_seconds",
    "retry_count",
    "retry_delay_seconds",
    "continue_on_fail",
    "rollback_command_linux",
)
API_ORDER = (
    "name",
    "type",
    "description",
    "method",
    "endpoint",
    "headers",
    "body",
    "expected_status_codes",
    "timeout_seconds",
    "retry_count",
    "retry_delay_seconds",
    "continue_on_fail",
)


def to_document(definition: dict) -> dict:
    """The canonical definition as the spec writes it: its key order, defaults left out."""
    d = definition
    doc: dict = {"name": d["name"]}
    if d.get("slug") and d["slug"] != slugify(d["name"])[:100]:
        doc["slug"] = d["slug"]
    doc["description"] = d.get("description", "")
    doc["category"] = d.get("category", "")
    doc["tags"] = list(d.get("tags", []))
    if d.get("enabled") is False:
        doc["enabled"] = False
    doc["execution"] = dict(d["execution"])
    if d.get("target") and d["target"] != DEFAULT_TARGET:
        doc["target"] = dict(d["target"])
    if d.get("parameters"):
        doc["parameters"] = [dict(p) for p in d["parameters"]]
    doc["triggers"] = [dict(t) for t in d.get("triggers", [])]
    doc["steps"] = []
    for step in d["steps"]:
        order = COMMAND_ORDER if step["type"] == "command" else API_ORDER
        doc["steps"].append({k: step[k] for k in order if step.get(k) is not None})
    if any(d.get("notifications", {}).values()):
        doc["notifications"] = {k: [dict(e) for e in v] for k, v in d["notifications"].items()}
    return doc


class _Dumper(yaml.SafeDumper):
    """Indented block lists, flow-style lists of scalars ([a, b]), literal blocks for multi-line text."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _list(dumper, data):
    flow = bool(data) and all(isinstance(v, str | int | float) and "\n" not in str(v) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(str, _str)


def dump(definition: dict) -> str:
    """Canonical YAML for a definition; `load(dump(d)) == d` for every valid definition."""
    return yaml.dump(
        to_document(definition),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=120,
    )
