"""Resolve every value a run needs before it is requested, so a missing or invalid value refuses the
run up front (with a reason) instead of failing half-way through on a host.

Values come from the operator's input, the alert's labels and annotations, and the chosen target.
They are stored on the execution: the audit shows exactly what was substituted.
"""

from __future__ import annotations

import re

from ..templating import names_in, placeholder_names

ALERT_FIELDS = (
    "id",
    "name",
    "severity",
    "status",
    "service",
    "instance",
    "environment",
    "fingerprint",
    "summary",
)
TARGET_FIELDS = ("name", "host", "port", "user")


class ParameterError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def names_used(definition: dict) -> list[str]:
    """Placeholder names used by the steps (notifications are rendered best-effort, not required)."""
    names: list[str] = []
    for step in definition["steps"]:
        for key in ("command_linux", "rollback_command_linux", "endpoint"):
            names += placeholder_names(step.get(key) or "")
        names += names_in(step.get("headers") or {}) + names_in(step.get("body"))
    return list(dict.fromkeys(names))


def input_names(definition: dict) -> list[str]:
    """Names an operator may type in: declared parameters plus undeclared plain placeholders."""
    declared = [
        p["name"] for p in definition.get("parameters", []) if p.get("source", "auto") in ("auto", "input")
    ]
    undeclared = [
        n
        for n in names_used(definition)
        if "." not in n and n not in {p["name"] for p in definition.get("parameters", [])}
    ]
    return list(dict.fromkeys(declared + undeclared))


def resolve(
    definition: dict, *, inputs: dict, labels: dict, annotations: dict, alert=None, target=None
) -> dict:
    """Every value the steps use, as strings; raise ParameterError listing all problems."""
    inputs = {k: str(v) for k, v in (inputs or {}).items() if v not in (None, "")}
    problems: list[str] = []
    allowed_inputs = set(input_names(definition))
    for key in inputs:
        if key not in allowed_inputs:
            problems.append(f"parameter {key!r} is not used by this runbook")
    values: dict[str, str] = {}
    declared = {p["name"]: p for p in definition.get("parameters", [])}
    for name, param in declared.items():
        value = _declared_value(param, inputs, labels, annotations)
        if value is None:
            if param.get("required", "default" not in param):
                problems.append(f"parameter {name!r} has no value (source: {param.get('source', 'auto')})")
            continue
        if param.get("pattern") and not re.fullmatch(param["pattern"], value):
            problems.append(f"parameter {name!r}: {value!r} does not match {param['pattern']}")
        elif param.get("choices") and value not in param["choices"]:
            problems.append(f"parameter {name!r}: {value!r} is not one of {', '.join(param['choices'])}")
        else:
            values[name] = value
    for name in names_used(definition):
        if name in values or name in declared:
            continue
        value = (
            _dotted_value(name, labels, annotations, alert, target)
            if "." in name
            else next((src[name] for src in (inputs, labels, annotations) if name in src), None)
        )
        if value is None:
            problems.append(
                f"no value for {{{{{name}}}}}: it is not a parameter given, nor an alert label or annotation"
            )
        else:
            values[name] = str(value)
    if problems:
        raise ParameterError(problems)
    return values


def _declared_value(param: dict, inputs: dict, labels: dict, annotations: dict) -> str | None:
    key = param.get("key") or param["name"]
    source = param.get("source", "auto")
    candidates = {
        "input": [inputs.get(param["name"])],
        "label": [labels.get(key)],
        "annotation": [annotations.get(key)],
        "auto": [inputs.get(param["name"]), labels.get(key), annotations.get(key)],
    }[source]
    for value in candidates:
        if value not in (None, ""):
            return str(value)
    return param.get("default")


def _dotted_value(name: str, labels: dict, annotations: dict, alert, target):
    scope, _, key = name.partition(".")
    if scope == "labels":
        return labels.get(key)
    if scope == "annotations":
        return annotations.get(key)
    if scope == "alert" and alert is not None and key in ALERT_FIELDS:
        return getattr(alert, "pk" if key == "id" else key)
    if scope == "target" and target is not None and key in TARGET_FIELDS:
        return getattr(target, "username" if key == "user" else key)
    return None
