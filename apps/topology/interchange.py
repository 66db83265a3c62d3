"""Topology as a file: parse and validate YAML/JSON with line numbers, and export it back.

The file is the team's source of truth for the graph (kept in git next to the code), so errors
must point at the line to fix, and a bad file must change nothing: everything is validated
before the first write, and the writes happen in one transaction (see `services.topology_import`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator

from .choices import Criticality, DependencyKind, ServiceType, Tier

FORMAT_VERSION = 1
SERVICE_FIELDS = {
    "name",
    "environment",
    "type",
    "namespace",
    "team",
    "tier",
    "description",
    "health_check_url",
    "docs_url",
    "labels",
}
DEPENDENCY_FIELDS = {
    "source",
    "target",
    "environment",
    "source_environment",
    "target_environment",
    "kind",
    "criticality",
    "description",
}
MAX_LENGTHS = {
    "name": 255,
    "environment": 100,
    "namespace": 255,
    "team": 100,
    "description": 2000,
    "health_check_url": 2000,
    "docs_url": 2000,
}


@dataclass
class Problem:
    path: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "path": self.path, "message": self.message}

    def __str__(self):
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class TopologyFileError(Exception):
    """The file is not a valid topology; `problems` lists every error found, with lines."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ServiceSpec:
    name: str
    environment: str
    fields: dict  # only the fields the file sets
    team_slug: str | None = None
    line: int | None = None
    team_line: int | None = None


@dataclass
class DependencySpec:
    source: tuple[str, str | None]  # (name, environment or None = not given)
    target: tuple[str, str | None]
    fields: dict
    line: int | None = None
    path: str = ""
    end_lines: dict = field(default_factory=dict)  # "source"/"target" -> line


@dataclass
class TopologySpec:
    services: list[ServiceSpec] = field(default_factory=list)
    dependencies: list[DependencySpec] = field(default_factory=list)


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(text: str) -> dict[tuple, int]:
    """Path -> 1-based line of every node, from PyYAML's composer (JSON parses as YAML too)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple, int] = {}

    def visit(node, path):
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                visit(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                visit(value, (*path, index))

    if root is not None:
        visit(root, ())
    return lines


def parse(text: str | bytes, fmt: str | None = None) -> tuple[object, dict[tuple, int]]:
    """Decode a file body; `fmt` is "yaml", "json" or None (guess from the first character)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TopologyFileError(
                [Problem("", f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})")]
            ) from None
    if fmt is None:
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TopologyFileError(
                [Problem("", f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)]
            ) from None
    elif fmt == "yaml":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise TopologyFileError(
                [Problem("", f"invalid YAML: {problem}", mark.line + 1 if mark else None)]
            ) from None
    else:
        raise TopologyFileError([Problem("", f"unknown format {fmt!r}; use yaml or json")])
    return data, _line_map(text)


class _Validator:
    def __init__(self, lines: dict[tuple, int]):
        self.lines = lines
        self.problems: list[Problem] = []

    def error(self, parts: tuple, message: str) -> None:
        line = None
        probe = parts
        while probe and line is None:  # a missing key reports the line of its parent
            line = self.lines.get(probe)
            probe = probe[:-1]
        self.problems.append(Problem(_path(parts), message, line if line is not None else self.lines.get(())))

    def string(self, parts, value, *, required=False, choices=None, url=False, max_length=None) -> str | None:
        name = parts[-1]
        if value is None:
            if required:
                self.error(parts, "is required")
            return None
        if not isinstance(value, str):
            if isinstance(value, bool | int | float) and not required:
                value = str(value)
            else:
                self.error(parts, f"must be a string, not {type(value).__name__}")
                return None
        value = value.strip()
        if required and not value:
            self.error(parts, "must not be empty")
            return None
        limit = max_length or MAX_LENGTHS.get(name)
        if limit and len(value) > limit:
            self.error(parts, f"is longer than {limit} characters")
        if choices and value not in choices:
            self.error(parts, f"{value!r} is not one of: {', '.join(choices)}")
        if url and value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except DjangoValidationError:
                self.error(parts, f"{value!r} is not an http(s) URL")
        return value

    def mapping(self, parts, value, allowed: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.error(parts, f"must be a mapping, not {type(value).__name__}")
            return None
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                self.error((*parts, str(key)), f"unknown field; expected one of: {', '.join(sorted(allowed))}")
        return value


def validate(data, lines: dict[tuple, int]) -> TopologySpec:
    """Check the decoded document's shape and values; raise TopologyFileError with every problem."""
    v = _Validator(lines)
    spec = TopologySpec()
    if data is None:
        data = {}
    root = v.mapping((), data, {"version", "services", "dependencies"})
    if root is None:
        raise TopologyFileError(v.problems)
    version = root.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        v.error(("version",), f"unsupported version {version!r}; this server reads version {FORMAT_VERSION}")
    services = root.get("services") or []
    dependencies = root.get("dependencies") or []
    if not isinstance(services, list):
        v.error(("services",), "must be a list")
        services = []
    if not isinstance(dependencies, list):
        v.error(("dependencies",), "must be a list")
        dependencies = []

    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(services):
        base = ("services", i)
        item = v.mapping(base, raw, SERVICE_FIELDS)
        if item is None:
            continue
        name = v.string((*base, "name"), item.get("name"), required=True)
        env = v.string((*base, "environment"), item.get("environment")) or ""
        fields = {}
        for key, choices in (("type", ServiceType.values), ("tier", Tier.values)):
            if key in item:
                fields[key] = v.string((*base, key), item[key], required=True, choices=choices)
        for key in ("namespace", "description"):
            if key in item:
                fields[key] = v.string((*base, key), item[key]) or ""
        for key in ("health_check_url", "docs_url"):
            if key in item:
                fields[key] = v.string((*base, key), item[key], url=True) or ""
        if "labels" in item:
            labels = item["labels"] or {}
            if not isinstance(labels, dict) or not all(
                isinstance(k, str) and isinstance(val, str | int | float | bool) for k, val in labels.items()
            ):
                v.error((*base, "labels"), "must be a mapping of label name to a plain value")
            else:
                fields["labels"] = {k: str(val) for k, val in labels.items()}
        team = v.string((*base, "team"), item.get("team")) if "team" in item else None
        if name:
            key = (name, env)
            if key in seen:
                v.error(
                    (*base, "name"),
                    f"service {name!r}{f' in {env!r}' if env else ''} is already defined at services[{seen[key]}]",
                )
            seen[key] = i
            spec.services.append(
                ServiceSpec(name, env, fields, team, lines.get(base), lines.get((*base, "team"), lines.get(base)))
            )

    edges: dict[tuple, int] = {}
    for i, raw in enumerate(dependencies):
        base = ("dependencies", i)
        item = v.mapping(base, raw, DEPENDENCY_FIELDS)
        if item is None:
            continue
        source = v.string((*base, "source"), item.get("source"), required=True)
        target = v.string((*base, "target"), item.get("target"), required=True)
        env = v.string((*base, "environment"), item.get("environment")) if "environment" in item else None
        src_env = (
            v.string((*base, "source_environment"), item.get("source_environment"))
            if "source_environment" in item
            else env
        )
        tgt_env = (
            v.string((*base, "target_environment"), item.get("target_environment"))
            if "target_environment" in item
            else env
        )
        fields = {}
        if "kind" in item:
            fields["kind"] = v.string((*base, "kind"), item["kind"], required=True, choices=DependencyKind.values)
        if "criticality" in item:
            fields["criticality"] = v.string(
                (*base, "criticality"), item["criticality"], required=True, choices=Criticality.values
            )
        if "description" in item:
            fields["description"] = v.string((*base, "description"), item["description"], max_length=500) or ""
        if source and target:
            if (source, src_env) == (target, tgt_env):
                v.error(base, f"{source!r} cannot depend on itself")
                continue
            key = (source, src_env, target, tgt_env)
            if key in edges:
                v.error(base, f"duplicate of dependencies[{edges[key]}] ({source} → {target})")
                continue
            edges[key] = i
            spec.dependencies.append(
                DependencySpec(
                    (source, src_env),
                    (target, tgt_env),
                    fields,
                    lines.get(base),
                    _path(base),
                    {end: lines.get((*base, end), lines.get(base)) for end in ("source", "target")},
                )
            )
    if v.problems:
        raise TopologyFileError(v.problems)
    return spec


def load(text: str | bytes, fmt: str | None = None) -> TopologySpec:
    data, lines = parse(text, fmt)
    return validate(data, lines)


def dump(document: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    raise ValueError(f"unknown format {fmt!r}; use yaml or json")
