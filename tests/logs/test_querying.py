"""Queries from alerts: the brief's generated Loki query, the window, and injection-proof escaping (fuzzed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.alerts.models import Alert
from apps.logs import querying
from apps.logs.models import LogQuery, LogSource
from tests.alerts.factories import AlertFactory
from tests.logs.factories import LogSourceFactory

NASTY = st.text(alphabet=st.sampled_from(list('ab"\\`{}()[]|.*+?^$\n\t:=! /~<>&-\'')) | st.characters(), max_size=40)


def parse_string(text: str, i: int) -> tuple[str, int]:
    """Read a double-quoted LogQL/SPL string starting at text[i] == '"' (Go-style escapes)."""
    assert text[i] == '"'
    out, i = [], i + 1
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while text[i] != '"':
        if text[i] == "\\":
            out.append(escapes[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out), i + 1


def parse_selector(query: str) -> tuple[dict, str]:
    """{k="v", ...} → ({k: v}, rest); fails on anything that is not a plain equality matcher."""
    assert query[0] == "{"
    i, found = 1, {}
    while query[i] != "}":
        name = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", query[i:]).group(0)
        i += len(name)
        assert query[i] == "=", query[i:]
        value, i = parse_string(query, i + 1)
        found[name] = value
        if query[i:i + 2] == ", ":
            i += 2
    return found, query[i + 1:]


@given(instance=NASTY, job=NASTY)
@settings(max_examples=300, deadline=None)
def test_loki_label_values_cannot_escape_their_string(instance, job):
    query = querying.generated("loki", {"instance": instance, "job": job}, ["error", "exce|ption"])
    found, rest = parse_selector(query)
    assert found == {"instance": instance, "job": job}
    assert rest.startswith(' |~ "')
    pattern, end = parse_string(rest, 4)
    assert end == len(rest)
    assert pattern == "(?i)(error|exce\\|ption)"


@given(value=NASTY)
@settings(max_examples=300, deadline=None)
def test_regex_literal_matches_only_the_value(value):
    pattern = querying.regex_literal(value)
    assert re.fullmatch(pattern, value, flags=re.S)
    assert re.fullmatch(pattern, value + "x", flags=re.S) is None


@given(value=NASTY)
@settings(max_examples=300, deadline=None)
def test_lucene_term_escapes_every_operator(value):
    escaped = querying.lucene_term(value)
    unescaped, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\":
            unescaped.append(escaped[i + 1])
            i += 2
        else:
            assert escaped[i] not in '+-=&|><!(){}[]^"~*?:\\/ ', escaped
            unescaped.append(escaped[i])
            i += 1
    assert "".join(unescaped) == value


@given(host=NASTY)
@settings(max_examples=200, deadline=None)
def test_splunk_and_insights_values_stay_strings(host):
    spl = querying.generated("splunk", {"host": host}, [])
    assert spl.startswith('search "host"="')
    value, end = parse_string(spl, len('search "host"='))
    assert value == host and end == len(spl)
    insights = querying.generated("cloudwatch", {"@logStream": host}, [])
    body = insights.split('filter @logStream = ', 1)[1]
    value, end = parse_string(body, 0)
    assert value == host and body[end:] == " | sort @timestamp asc"


@pytest.mark.django_db
def test_the_briefs_generated_query_and_window():
    source = LogSourceFactory()
    started = datetime(2026, 5, 1, 14, 32, 15, tzinfo=UTC)
    alert = AlertFactory(organization=source.organization, starts_at=started,
                         labels={"instance": "web-1", "job": "nginx", "severity": "critical"})
    rendered = querying.render(source, alert)
    assert rendered.text == '{instance="web-1", job="nginx"} |~ "(?i)(error|exception|fatal)"'
    assert rendered.start == datetime(2026, 5, 1, 14, 27, tzinfo=UTC)  # bucketed to the minute, then -5 min
    assert rendered.end == datetime(2026, 5, 1, 14, 38, tzinfo=UTC)  # bucket end + 5 min
    alert.annotations = {"for": "15m"}
    assert querying.render(source, alert).start == datetime(2026, 5, 1, 14, 17, tzinfo=UTC)


@given(value=NASTY)
@settings(max_examples=200, deadline=None)
def test_saved_templates_see_escaped_values(value):
    source = LogSource(pk=1, kind="loki", field_mapping={})
    alert = Alert(name="X", starts_at=datetime.now(tz=UTC), labels={"pod": value}, annotations={})
    query = LogQuery(source=source, query_template='{pod="{{ labels.pod }}"} |= "boom"')
    rendered = querying.render(source, alert, query)
    found, rest = parse_selector(rendered.text)
    assert found == {"pod": value} and rest == ' |= "boom"'
    assert rendered.end - rendered.start >= timedelta(minutes=10)
