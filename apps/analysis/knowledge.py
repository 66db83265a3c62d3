"""The offline analyser's knowledge base: YAML files of well-known Prometheus alerts.

Each file under `apps/analysis/knowledge/` (plus any directory in ANALYSIS_KNOWLEDGE_DIRS) holds a
family of entries. An entry matches alert names (shell-style patterns, case-insensitive) and,
optionally, label values (regular expressions); the most specific match wins. Texts may use
`{label}` or `{label|fallback}` placeholders filled from the alert's labels (`{{` and `}}` are
literal braces, for commands such as curl's `-w '%{{time_total}}'`). Files are validated on
load with jsonschema, so a typo fails loudly with the file and the field, not at 3 a.m.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator

from . import conf

SHIPPED_DIR = Path(__file__).resolve().parent / "knowledge"

# How fundamental a failure is: an incident's root cause is looked for in the highest layer first.
LAYER_RANK = {
    "host": 6,
    "network": 5,
    "platform": 5,
    "datastore": 4,
    "workload": 3,
    "endpoint": 2,
    "symptom": 1,
    "unknown": 0,
}

_TEXT = {"type": "string", "minLength": 1}
FILE_SCHEMA = {
    "type": "object",
    "required": ["family", "entries"],
    "additionalProperties": False,
    "properties": {
        "family": _TEXT,
        "description": {"type": "string"},
        "entries": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "title",
                    "match",
                    "layer",
                    "root_cause",
                    "impact",
                    "remediation",
                    "prevention",
                    "confidence",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "title": _TEXT,
                    "match": {
                        "type": "object",
                        "required": ["names"],
                        "additionalProperties": False,
                        "properties": {
                            "names": {"type": "array", "minItems": 1, "items": _TEXT},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                    "layer": {"enum": list(LAYER_RANK)},
                    "root_cause": _TEXT,
                    "impact": _TEXT,
                    "remediation": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["step"],
                            "additionalProperties": False,
                            "properties": {"step": _TEXT, "command": _TEXT},
                        },
                    },
                    "prevention": {"type": "array", "items": _TEXT},
                    "runbook": _TEXT,
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "log_hints": {"type": "array", "items": _TEXT},
                },
            },
        },
    },
}
_FILE_VALIDATOR = Draft202012Validator(FILE_SCHEMA)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}]*))?\}")


@dataclass(frozen=True)
class Entry:
    id: str
    family: str
    title: str
    names: tuple[str, ...]
    labels: dict
    layer: str
    root_cause: str
    impact: str
    remediation: tuple[dict, ...]
    prevention: tuple[str, ...]
    confidence: float
    runbook: str | None = None
    source: str = ""
    log_hints: tuple[str, ...] = field(default=())

    @property
    def rank(self) -> int:
        return LAYER_RANK[self.layer]

    def score(self, name: str, labels: dict) -> int:
        """0 when the entry does not match; higher is more specific."""
        best = 0
        lowered = name.lower()
        for pattern in self.names:
            p = pattern.lower()
            if p == lowered:
                best = max(best, 1000)
            elif fnmatch.fnmatchcase(lowered, p):
                best = max(best, 10 + len(p.replace("*", "").replace("?", "")))
        if not best:
            return 0
        for key, regex in self.labels.items():
            if not re.fullmatch(regex, str(labels.get(key, ""))):
                return 0
            best += 50
        return best


def render(text: str, variables: dict) -> str:
    """Fill `{name}` / `{name|fallback}` from `variables`; unknown names without fallback read `<name>`."""

    def sub(match):
        value = variables.get(match.group(1))
        if value not in (None, ""):
            return str(value)
        return match.group(2) if match.group(2) is not None else f"<{match.group(1)}>"

    escaped = text.replace("{{", "\x00").replace("}}", "\x01")
    return _PLACEHOLDER.sub(sub, escaped).replace("\x00", "{").replace("\x01", "}")


def _load_file(path: Path) -> list[Entry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ImproperlyConfigured(f"knowledge file {path}: not valid YAML: {exc}") from exc
    errors = sorted(_FILE_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ImproperlyConfigured(f"knowledge file {path}: {where}: {err.message}")
    entries = []
    for raw in data["entries"]:
        for regex in raw["match"].get("labels", {}).values():
            try:
                re.compile(regex)
            except re.error as exc:
                raise ImproperlyConfigured(
                    f"knowledge file {path}: entry {raw['id']}: bad label regex: {exc}"
                ) from exc
        entries.append(
            Entry(
                id=raw["id"],
                family=data["family"],
                title=raw["title"],
                names=tuple(raw["match"]["names"]),
                labels=dict(raw["match"].get("labels", {})),
                layer=raw["layer"],
                root_cause=raw["root_cause"].strip(),
                impact=raw["impact"].strip(),
                remediation=tuple(raw["remediation"]),
                prevention=tuple(raw["prevention"]),
                confidence=float(raw["confidence"]),
                runbook=raw.get("runbook"),
                source=path.name,
                log_hints=tuple(raw.get("log_hints", ())),
            )
        )
    return entries


def load(directories: list[Path] | None = None) -> list[Entry]:
    """Every entry of every `*.yaml` file in the directories, validated; ids must be unique."""
    dirs = directories if directories is not None else [SHIPPED_DIR, *map(Path, conf.knowledge_dirs())]
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise ImproperlyConfigured(f"knowledge directory {directory} does not exist")
        for path in sorted(directory.glob("*.yaml")):
            for entry in _load_file(path):
                if entry.id in seen:
                    raise ImproperlyConfigured(
                        f"knowledge file {path}: entry id {entry.id!r} already defined in {seen[entry.id]}"
                    )
                seen[entry.id] = path.name
                entries.append(entry)
    return entries


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    return tuple(load())


def reload() -> None:
    entries.cache_clear()


def match(name: str, labels: dict | None = None) -> Entry:
    """The most specific entry for an alert; the generic fallback (`*`) guarantees one."""
    labels = labels or {}
    best, best_score = None, 0
    for entry in entries():
        score = entry.score(name, labels)
        if score > best_score:
            best, best_score = entry, score
    if best is None:
        raise ImproperlyConfigured("the knowledge base has no catch-all entry (names: ['*'])")
    return best


def find(entry_id: str) -> Entry | None:
    return next((e for e in entries() if e.id == entry_id), None)
