"""Queries from alerts: which labels select the logs, the window, and escaping per query language.

Label values are data, never syntax: each language gets its own escaper, and templates only ever
see escaped values (`{{ labels.instance }}` is already a safe LogQL/SPL/Insights string body or a
Lucene term), so a value with quotes, backslashes, backticks, braces or regex metacharacters cannot
change a query's meaning (fuzzed in tests/logs/test_querying.py). Elasticsearch gets its filters
as JSON terms, which need no escaping at all; its Lucene text is only for the Kibana link.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.template import Context, Engine

from . import conf
from .choices import SourceKind

_ENGINE = Engine(autoescape=False)
_RE2_META = re.compile(r"([\\.+*?()|\[\]{}^$])")
_LUCENE_SPECIAL = re.compile(r'([+\-=&|><!(){}\[\]^"~*?:\\/ ])')
_LOKI_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_INSIGHTS_FIELD = re.compile(r"^@?[a-zA-Z_][\w.]*$")
_DURATION = re.compile(r"^(\d+)(s|m|h)$")


def string_body(value: str) -> str:
    """The inside of a double-quoted string (LogQL, SPL, Insights): backslash, quote, controls escaped."""
    out = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def regex_literal(value: str) -> str:
    """A RE2 pattern matching `value` literally."""
    return _RE2_META.sub(r"\\\1", str(value))


def lucene_term(value: str) -> str:
    return _LUCENE_SPECIAL.sub(r"\\\1", str(value))


ESCAPERS = {SourceKind.LOKI: string_body, SourceKind.SPLUNK: string_body, SourceKind.CLOUDWATCH: string_body,
            SourceKind.ELASTICSEARCH: lucene_term}


@dataclass
class Rendered:
    text: str  # what is sent (Loki/Splunk/Insights) or shown (Elasticsearch: the Lucene twin)
    spec: dict  # Elasticsearch: {"terms": {field: value}, "words": [...]}
    start: datetime
    end: datetime
    dedupe_key: str


def selectors(source, alert) -> dict[str, str]:
    """{source field: alert value} for the labels that select this alert's logs."""
    values = {**{k: str(v) for k, v in (alert.labels or {}).items()}}
    if alert.instance:
        values.setdefault("instance", alert.instance)
    if alert.service:
        values.setdefault("service", alert.service)
    mapping = source.field_mapping or {}
    chosen = {}
    for label in (list(mapping) if mapping else conf.match_labels()):
        field = mapping.get(label, label) if mapping else label
        if field and values.get(label):
            chosen[field] = values[label]
    return chosen


def window(alert, minutes: int) -> tuple[datetime, datetime]:
    """±minutes around startsAt, the before side widened to the rule's pending duration when known."""
    before = timedelta(minutes=minutes)
    pending = _DURATION.match(str((alert.annotations or {}).get("for", "") or (alert.labels or {}).get("for", "")))
    if pending:
        amount, unit = int(pending.group(1)), pending.group(2)
        before = max(before, timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[unit]: amount}))
    bucket = conf.bucket_seconds()
    anchor = datetime.fromtimestamp(int(alert.starts_at.timestamp()) // bucket * bucket, tz=alert.starts_at.tzinfo)
    return anchor - before, anchor + timedelta(minutes=minutes) + timedelta(seconds=bucket)


def generated(kind: str, fields: dict[str, str], words: list[str]) -> str:
    """The brief's generated query: stream selector plus a case-insensitive error filter."""
    alternatives = "|".join(regex_literal(w) for w in words)
    if kind == SourceKind.LOKI:
        matchers = [f'{k}="{string_body(v)}"' for k, v in sorted(fields.items()) if _LOKI_LABEL.match(k)]
        selector = "{" + ", ".join(matchers or ['job=~".+"']) + "}"
        return selector + (f' |~ "(?i)({string_body(alternatives)})"' if words else "")
    if kind == SourceKind.SPLUNK:
        terms = " ".join(f'"{string_body(k)}"="{string_body(v)}"' for k, v in sorted(fields.items()))
        filters = " OR ".join(f'"{string_body(w)}"' for w in words)
        return f"search {terms}" + (f" ({filters})" if filters else "")
    if kind == SourceKind.CLOUDWATCH:
        parts = ["fields @timestamp, @message, @logStream"]
        parts += [f'filter {k} = "{string_body(v)}"' for k, v in sorted(fields.items()) if _INSIGHTS_FIELD.match(k)]
        if words:
            parts.append(f'filter @message like /(?i)({alternatives.replace("/", chr(92) + "/")})/')
        return " | ".join(parts + ["sort @timestamp asc"])
    terms = " AND ".join(f"{lucene_term(k)}:{lucene_term(v)}" for k, v in sorted(fields.items()))
    text = " OR ".join(f'"{string_body(w)}"' for w in words)
    return " AND ".join(p for p in (terms, f"({text})" if text else "") if p) or "*"


def render(source, alert, query=None) -> Rendered:
    """The query for `alert` on `source`, from the saved template when there is one."""
    words = (query.words() if query else []) or conf.error_words()
    minutes = query.time_range_minutes if query else conf.window_minutes()
    start, end = window(alert, minutes)
    fields = selectors(source, alert)
    if query and query.query_template.strip():
        escape = ESCAPERS[source.kind]
        labels = {k: escape(v) for k, v in (alert.labels or {}).items()}
        annotations = {k: escape(v) for k, v in (alert.annotations or {}).items()}
        context = Context({"labels": labels, "annotations": annotations, "instance": escape(alert.instance),
                           "service": escape(alert.service), "alertname": escape(alert.name),
                           "fields": {k: escape(v) for k, v in fields.items()}}, autoescape=False)
        text = _ENGINE.from_string(query.query_template).render(context).strip()
    else:
        text = generated(source.kind, fields, words)
    spec = {"terms": fields, "words": words}
    key = hashlib.sha256(f"{source.pk}\x00{text}\x00{sorted(fields.items())}\x00{start.isoformat()}\x00"
                         f"{end.isoformat()}".encode("utf-8", "surrogatepass")).hexdigest()
    return Rendered(text=text, spec=spec, start=start, end=end, dedupe_key=key)
