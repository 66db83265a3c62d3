"""Stored score factors in words: the rows of the "why" table and the one-line reason.

The same wording serves the alert page, the incident page, the API's `explanation` and the AI
prompt, so a responder and the analyser read the same justification.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .summary import human_delta

SERVICE_MATCH = {
    "same": lambda f: _("same service (%(s)s)") % {"s": f.get("alert_service", "")},
    "partial": lambda f: _("similar service name (%(s)s)") % {"s": f.get("alert_service", "")},
    "dependency": lambda f: (
        _("%(s)s depends on it (%(n)d hop(s))") % {"s": f.get("alert_service", ""), "n": f.get("hops", 1)}
    ),
    "dependent": lambda f: _("it calls %(s)s") % {"s": f.get("alert_service", "")},
    "unrelated": lambda f: _("unrelated service (%(s)s)") % {"s": f.get("alert_service", "")},
    "unknown": lambda f: _("service unknown"),
}


def _time(f: dict) -> str:
    relation = f.get("relation")
    if relation == "during":
        return _("the alert started while the change was in progress")
    if relation == "after":
        return _("the change came after the alert started")
    if relation == "before_window":
        return _("%(t)s before the alert, outside the window") % {"t": human_delta(f.get("delta_seconds"))}
    return _("%(t)s before the alert") % {"t": human_delta(f.get("delta_seconds"))}


def _environment(f: dict) -> str:
    return {"same": _("same environment"), "different": _("other environment")}.get(
        f.get("match"), _("environment unknown")
    )


def _change_type(f: dict) -> str:
    return _("%(type)s (risk %(risk).0f%%)") % {
        "type": str(f.get("type", "")).replace("_", " "),
        "risk": 100 * float(f.get("score", 0)),
    }


LABELS = [
    ("time", _time),
    ("service", lambda f: SERVICE_MATCH.get(f.get("match"), SERVICE_MATCH["unknown"])(f)),
    ("environment", _environment),
    ("change_type", _change_type),
]
PENALTIES = {
    "unrelated_service": lambda: _("unrelated service"),
    "other_environment": lambda: _("other environment"),
}


def factor_rows(factors: dict) -> list[dict]:
    """One row per factor: its name, what it found, its score, weight and points."""
    names = {
        "time": _("Time proximity"),
        "service": _("Service"),
        "environment": _("Environment"),
        "change_type": _("Change type"),
    }
    rows = []
    for key, describe in LABELS:
        f = factors.get(key)
        if not isinstance(f, dict):
            continue
        rows.append(
            {
                "key": key,
                "name": names[key],
                "detail": describe(f),
                "score": f.get("score", 0),
                "weight": f.get("weight", 0),
                "points": f.get("points", 0),
            }
        )
    for penalty in factors.get("penalties") or []:
        describe = PENALTIES.get(penalty.get("reason"))
        label = describe() if describe else str(penalty.get("reason"))
        rows.append(
            {
                "key": "penalty",
                "name": _("Penalty"),
                "detail": label,
                "score": None,
                "weight": penalty.get("factor"),
                "points": None,
            }
        )
    return rows


def reason(factors: dict) -> str:
    """One line: "15 min before the alert, same service (payment-service), same environment, deployment"."""
    return ", ".join(row["detail"] for row in factor_rows(factors) if row["key"] != "penalty")
