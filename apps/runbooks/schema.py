"""The runbook definition schema: validate a parsed document and normalise it to one canonical dict.

Two spellings exist in the spec: the technical plan's (`command_linux`, `timeout_seconds`,
`expected_status_codes`, ...) is canonical, and the product brief's shorter one (`command`,
`timeout`, `expected_status`, `retries`, `approval_timeout`, `max_per_hour`, ...) is accepted as
aliases. Everything is normalised to the canonical names, which is what export writes. Unknown
keys are errors rather than being dropped, so an import never loses what a person wrote.

Errors are collected (not raised one at a time) as (path, message) pairs; `yamlio` adds the line.
"""

from __future__ import annotations

import re

from django.utils.text import slugify

from .choices import Mode, StepType
from .templating import PLACEHOLDER, placeholder_names, quoted_placeholders
from .validation import Checker, InvalidDefinition, Path, Problem, fmt_path

__all__ = ["InvalidDefinition", "Problem", "fmt_path", "validate"]


SEVERITIES = ("critical", "warning", "info")
PARAM_SOURCES = ("auto", "label", "annotation", "input")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DEFAULT_EXECUTION = {
    "mode": Mode.MANUAL.value,
    "approval_timeout_minutes": 30,
    "max_executions_per_hour": 10,
    "cooldown_minutes": 0,
}
DEFAULT_TARGET = {"label": "instance"}
COMMAND_TIMEOUT, API_TIMEOUT = 60, 30

EXECUTION_ALIASES = {
    "approval_timeout": "approval_timeout_minutes",
    "max_per_hour": "max_executions_per_hour",
    "cooldown": "cooldown_minutes",
}
STEP_ALIASES = {
    "command": "command_linux",
    "timeout": "timeout_seconds",
    "requires_sudo": "requires_elevation",
    "rollback": "rollback_command_linux",
    "url": "endpoint",
    "expected_status": "expected_status_codes",
    "retries": "retry_count",
    "retry_delay": "retry_delay_seconds",
}
TOP_KEYS = (
    "name",
    "slug",
    "description",
    "category",
    "tags",
    "enabled",
    "execution",
    "target",
    "parameters",
    "triggers",
    "steps",
    "notifications",
)
COMMON_STEP_KEYS = (
    "name",
    "type",
    "description",
    "timeout_seconds",
    "retry_count",
    "retry_delay_seconds",
    "continue_on_fail",
)
COMMAND_KEYS = COMMON_STEP_KEYS + ("command_linux", "requires_elevation", "rollback_command_linux")
API_KEYS = COMMON_STEP_KEYS + ("method", "endpoint", "headers", "body", "expected_status_codes")


def validate(document) -> dict:
    """Check a parsed runbook document and return its canonical form; raise InvalidDefinition."""
    c = Checker()
    data = c.mapping(document, (), required=True)
    if data is None:
        raise InvalidDefinition(c.problems)
    data = c.keys(data, (), TOP_KEYS)
    out: dict = {}
    out["name"] = c.string(data.get("name"), ("name",), required=True, max_length=200, allow_empty=False)
    slug = c.string(data.get("slug"), ("slug",), max_length=100)
    if slug is not None and slug != slugify(slug):
        c.fail(("slug",), "may hold only lowercase letters, digits, hyphens and underscores")
    out["slug"] = slug or slugify(out["name"] or "")[:100]
    out["description"] = c.string(data.get("description", ""), ("description",)) or ""
    out["category"] = c.string(data.get("category", ""), ("category",), max_length=100) or ""
    out["tags"] = c.string_list(data.get("tags", []), ("tags",)) or []
    out["enabled"] = True if "enabled" not in data else c.boolean(data["enabled"], ("enabled",))
    out["execution"] = _execution(c, data.get("execution"))
    out["target"] = _target(c, data.get("target"))
    out["parameters"] = _parameters(c, data.get("parameters", []))
    out["triggers"] = _triggers(c, data.get("triggers", []))
    out["steps"] = _steps(c, data.get("steps"))
    out["notifications"] = _notifications(c, data.get("notifications"))
    if c.problems:
        raise InvalidDefinition(c.problems)
    return out


def _execution(c: Checker, raw) -> dict:
    path = ("execution",)
    data = c.mapping(raw, path) or {}
    data = c.keys(
        data,
        path,
        (
            "mode",
            "approval_required",
            "approval_timeout_minutes",
            "max_executions_per_hour",
            "cooldown_minutes",
        ),
        EXECUTION_ALIASES,
    )
    out = dict(DEFAULT_EXECUTION)
    if "mode" in data:
        if data["mode"] not in Mode.values:
            c.fail(path + ("mode",), f"must be one of {', '.join(Mode.values)}")
        else:
            out["mode"] = data["mode"]
    limits = {
        "approval_timeout_minutes": (1, 10080),
        "max_executions_per_hour": (1, 1000),
        "cooldown_minutes": (0, 10080),
    }
    for key, (low, high) in limits.items():
        if key in data:
            value = c.integer(data[key], path + (c.origin.get(key, key),), minimum=low, maximum=high)
            out[key] = value if value is not None else out[key]
    default_approval = out["mode"] == Mode.SEMI_AUTO
    approval = data.get("approval_required", default_approval)
    approval = c.boolean(approval, path + ("approval_required",))
    if approval is False and out["mode"] == Mode.SEMI_AUTO:
        c.fail(
            path + ("approval_required",),
            "cannot be false in semi_auto mode (semi_auto means: run after approval)",
        )
    if approval and out["mode"] == Mode.AUTO:
        c.fail(path + ("approval_required",), "cannot be true in auto mode; use mode: semi_auto")
    out["approval_required"] = bool(approval)
    return {
        "mode": out["mode"],
        "approval_required": out["approval_required"],
        **{k: out[k] for k in ("approval_timeout_minutes", "max_executions_per_hour", "cooldown_minutes")},
    }


def _target(c: Checker, raw) -> dict:
    path = ("target",)
    if raw is None:
        return dict(DEFAULT_TARGET)
    data = c.mapping(raw, path)
    if data is None:
        return dict(DEFAULT_TARGET)
    data = c.keys(data, path, ("label", "name"))
    if len(data) != 1:
        c.fail(path, "must name either an alert label (label: instance) or a fixed SSH target (name: web-1)")
        return dict(DEFAULT_TARGET)
    key, value = next(iter(data.items()))
    value = c.string(value, path + (key,), allow_empty=False, max_length=200)
    return {key: value} if value else dict(DEFAULT_TARGET)


def _parameters(c: Checker, raw) -> list:
    items = c.sequence(raw, ("parameters",))
    out, seen = [], set()
    for i, item in enumerate(items or []):
        path = ("parameters", i)
        data = c.mapping(item, path, required=True)
        if data is None:
            continue
        data = c.keys(
            data, path, ("name", "source", "key", "default", "required", "pattern", "choices", "description")
        )
        name = c.string(data.get("name"), path + ("name",), required=True)
        if name is not None and not IDENT.match(name):
            c.fail(path + ("name",), "must be an identifier (letters, digits, underscore)")
        elif name in seen:
            c.fail(path + ("name",), f"repeats parameter {name!r}")
        seen.add(name)
        param = {"name": name}
        source = data.get("source", "auto")
        if source not in PARAM_SOURCES:
            c.fail(path + ("source",), f"must be one of {', '.join(PARAM_SOURCES)}")
        if source != "auto":
            param["source"] = source
        for key in ("key", "default", "description"):
            if key in data:
                param[key] = c.string(data[key], path + (key,))
        if "required" in data:
            param["required"] = c.boolean(data["required"], path + ("required",))
        if "pattern" in data:
            pattern = c.string(data["pattern"], path + ("pattern",), allow_empty=False)
            try:
                re.compile(pattern or "")
                param["pattern"] = pattern
            except re.error as exc:
                c.fail(path + ("pattern",), f"is not a valid regular expression ({exc})")
        if "choices" in data:
            param["choices"] = c.string_list(data["choices"], path + ("choices",))
        out.append(param)
    return out


def _triggers(c: Checker, raw) -> list:
    items = c.sequence(raw, ("triggers",))
    out = []
    for i, item in enumerate(items or []):
        path = ("triggers", i)
        data = c.mapping(item, path, required=True)
        if data is None:
            continue
        data = c.keys(data, path, ("alert_pattern", "severity", "labels", "min_duration_seconds"))
        trigger = {
            "alert_pattern": c.string(
                data.get("alert_pattern"),
                path + ("alert_pattern",),
                required=True,
                allow_empty=False,
                max_length=255,
            )
        }
        if "severity" in data:
            severities = c.string_list(data["severity"], path + ("severity",), allow_single=True) or []
            for j, severity in enumerate(severities):
                if severity not in SEVERITIES:
                    c.fail(path + ("severity", j), f"must be one of {', '.join(SEVERITIES)}")
            trigger["severity"] = severities
        if "labels" in data:
            labels = c.mapping(data["labels"], path + ("labels",)) or {}
            trigger["labels"] = {}
            for key, value in labels.items():
                text = c.string(value, path + ("labels", str(key)))
                if text is not None:
                    trigger["labels"][str(key)] = text
        if "min_duration_seconds" in data:
            trigger["min_duration_seconds"] = c.integer(
                data["min_duration_seconds"], path + ("min_duration_seconds",), minimum=0, maximum=7 * 86400
            )
        out.append(trigger)
    return out


def _steps(c: Checker, raw) -> list:
    if raw is None:
        c.fail(("steps",), "is required (at least one step)")
        return []
    items = c.sequence(raw, ("steps",))
    if items is not None and not items:
        c.fail(("steps",), "must hold at least one step")
    return [step for i, item in enumerate(items or []) if (step := _step(c, item, ("steps", i))) is not None]


def _step(c: Checker, item, path: Path) -> dict | None:
    data = c.mapping(item, path, required=True)
    if data is None:
        return None
    kind = data.get("type")
    if kind is None:
        kind = (
            StepType.COMMAND
            if ("command" in data or "command_linux" in data)
            else (StepType.API if ("url" in data or "endpoint" in data) else None)
        )
        if kind is None:
            c.fail(path + ("type",), "is required (command or api)")
            return None
    if kind not in StepType.values:
        c.fail(path + ("type",), f"must be one of {', '.join(StepType.values)}")
        return None
    allowed = COMMAND_KEYS if kind == StepType.COMMAND else API_KEYS
    data = c.keys(data, path, allowed, STEP_ALIASES)
    origin = dict(c.origin)

    def at(key):
        return path + (origin.get(key, key),)

    step = {
        "name": c.string(data.get("name"), at("name"), required=True, allow_empty=False, max_length=200),
        "type": str(kind),
    }
    if data.get("description"):
        step["description"] = c.string(data["description"], at("description"))
    if kind == StepType.COMMAND:
        step["command_linux"] = _command(c, data.get("command_linux"), at("command_linux"), required=True)
        if "requires_elevation" in data and c.boolean(data["requires_elevation"], at("requires_elevation")):
            step["requires_elevation"] = True
    else:
        method = c.string(data.get("method", "GET"), at("method")) or "GET"
        if method.upper() not in HTTP_METHODS:
            c.fail(at("method"), f"must be one of {', '.join(HTTP_METHODS)}")
        step["method"] = method.upper()
        step["endpoint"] = _endpoint(c, data.get("endpoint"), at("endpoint"))
        if "headers" in data:
            headers = c.mapping(data["headers"], at("headers")) or {}
            step["headers"] = {str(k): c.string(v, at("headers") + (str(k),)) for k, v in headers.items()}
        if "body" in data:
            if not isinstance(data["body"], str | dict | list):
                c.fail(at("body"), "must be a string, a mapping or a list")
            step["body"] = data["body"]
        if "expected_status_codes" in data:
            codes = data["expected_status_codes"]
            codes = [codes] if isinstance(codes, int) and not isinstance(codes, bool) else codes
            items = c.sequence(codes, at("expected_status_codes")) or []
            step["expected_status_codes"] = [
                code
                for j, code in enumerate(items)
                if c.integer(code, at("expected_status_codes") + (j,), minimum=100, maximum=599) is not None
            ]
    if "timeout_seconds" in data:
        step["timeout_seconds"] = c.integer(
            data["timeout_seconds"], at("timeout_seconds"), minimum=1, maximum=86400
        )
    if "retry_count" in data:
        step["retry_count"] = c.integer(data["retry_count"], at("retry_count"), minimum=0, maximum=20)
    if "retry_delay_seconds" in data:
        step["retry_delay_seconds"] = c.integer(
            data["retry_delay_seconds"], at("retry_delay_seconds"), minimum=0, maximum=3600
        )
    if "continue_on_fail" in data and c.boolean(data["continue_on_fail"], at("continue_on_fail")):
        step["continue_on_fail"] = True
    if kind == StepType.COMMAND and data.get("rollback_command_linux") is not None:
        step["rollback_command_linux"] = _command(
            c, data["rollback_command_linux"], at("rollback_command_linux")
        )
    return step


def _command(c: Checker, value, path: Path, *, required=False) -> str | None:
    text = c.string(value, path, required=required, allow_empty=False)
    if text is None:
        return None
    _check_placeholders(c, text, path)
    for name in quoted_placeholders(text):
        c.fail(
            path,
            f"puts {{{{{name}}}}} inside quotes; values are shell-quoted automatically, so remove the quotes",
        )
    return text


def _endpoint(c: Checker, value, path: Path) -> str | None:
    text = c.string(value, path, required=True, allow_empty=False, max_length=2000)
    if text is None:
        return None
    _check_placeholders(c, text, path)
    if not text.startswith("{{") and not re.match(r"^https?://", text):
        c.fail(path, "must be an http:// or https:// URL (or start with a {{placeholder}})")
    return text


def _check_placeholders(c: Checker, text: str, path: Path) -> None:
    stripped = PLACEHOLDER.sub("", text)
    if "{{" in stripped or "}}" in stripped:
        c.fail(path, "has a malformed placeholder; write {{name}}, {{labels.key}} or {{annotations.key}}")
    placeholder_names(text)


def _notifications(c: Checker, raw) -> dict:
    path = ("notifications",)
    data = c.mapping(raw, path) or {}
    data = c.keys(data, path, ("on_success", "on_failure"))
    out = {}
    for outcome, items in data.items():
        entries = c.sequence(items, path + (outcome,)) or []
        out[outcome] = []
        for i, entry in enumerate(entries):
            where = path + (outcome, i)
            entry = c.mapping(entry, where, required=True)
            if entry is None:
                continue
            if not c.string(entry.get("channel"), where + ("channel",), required=True, allow_empty=False):
                continue
            clean = {}
            for key, value in entry.items():
                if isinstance(value, dict | list) or value is None:
                    c.fail(where + (str(key),), "must be a single value")
                else:
                    clean[str(key)] = value
            out[outcome].append(clean)
    return out
