"""Every webhook, fuzzed: no body, header or token makes a 5xx, and a refused request stores nothing.

Routes are discovered under /hooks/ (`aiops.testing.hooks`), so a new app's hook is covered when it
is routed; its authenticated run needs a `HOOK_CASES` entry (or a token model) — see that module.
Bodies are random JSON, the findings of issue #15 (NUL, lone surrogates, NaN, 1e400, 5,000-digit
integers, deep nesting, year 9999), and valid bodies with one value replaced by one of those.
"""
import json
import string

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.testing.hooks import HookRoute, bogus_url, build_target, hook_routes, stored_models

ROUTES = hook_routes()
FUZZ = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = [
    '"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"x\\udfffy"', "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
    "9" * 5000, "-" + "9" * 30, "18446744073709551616", "[" * 3000 + "]" * 3000, '{"a":' * 600 + "1" + "}" * 600,
    '"9999-12-31T23:59:59Z"', '"0000-01-01T00:00:00Z"', "-1", "1.5", "true", "null", '""', "[]", "{}",
    '"' + "x" * 20000 + '"', "253402300800", "1e30",
]
json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
    max_size=20)
json_doc = st.recursive(json_leaf, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c,
                                                                                     max_size=4), max_leaves=12)
header_text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF, exclude_characters="\r\n"),
                      max_size=40)


def _counts(route: HookRoute) -> dict:
    return {model._meta.label: model._default_manager.count() for model in stored_models(route)}


def _mutate(doc, path_choices: list[int]):
    """`doc` (a JSON-able value) with one node replaced by a placeholder string."""
    placeholder = "\x01NASTY\x01"
    if not isinstance(doc, dict | list) or not doc:
        return placeholder
    node = doc
    for choice in path_choices:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = keys[choice % len(keys)]
        child = node[key]
        if isinstance(child, dict | list) and child and choice % 3:
            node = child
            continue
        node[key] = placeholder
        return doc
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    node[keys[0]] = placeholder
    return doc


@st.composite
def bodies(draw, valid_body):
    kind = draw(st.sampled_from(["nasty", "random", "mutated", "bytes"] if valid_body is not None
                                else ["nasty", "random", "bytes"]))
    if kind == "nasty":
        return draw(st.sampled_from(NASTY))
    if kind == "random":
        return json.dumps(draw(json_doc))
    if kind == "bytes":
        return draw(st.binary(max_size=200)).decode("latin-1")
    doc = _mutate(json.loads(json.dumps(valid_body)), draw(st.lists(st.integers(0, 50), min_size=1, max_size=5)))
    return json.dumps(doc).replace('"\\u0001NASTY\\u0001"', draw(st.sampled_from(NASTY)))


def _assert_safe(route, response, before):
    assert response.status_code < 500, (route.name, response.status_code, response.content[:500])
    if 400 <= response.status_code < 500:
        assert _counts(route) == before, (route.name, response.status_code, "a refused request stored rows")
        if response.headers.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            assert "error" in body or "detail" in body or set(body) <= {"ignored"}, body


def test_discovery_finds_every_hook():
    names = {r.name for r in ROUTES}
    assert {"alertmanager-hook", "generic-alert-hook", "changes-hook", "slack-interaction",
            "pagerduty-webhook"} <= names, names


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hook_without_credentials_never_fails(route, org_a):
    """Unknown tokens, odd Authorization headers and any body: a 4xx, nothing stored."""
    client = Client()

    @FUZZ
    @given(token=st.text(alphabet=string.ascii_letters + string.digits + "-_.~é€", min_size=1, max_size=60),
           auth=header_text, body=bodies(None))
    def run(token, auth, body):
        before = _counts(route)
        url = bogus_url(route, token) if "token" in route.arguments else bogus_url(route)
        response = client.post(url, data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
                               HTTP_AUTHORIZATION=auth)
        _assert_safe(route, response, before)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hook_with_credentials_never_fails(route, org_a, settings):
    """Past authentication, every body reaches the parser: a 4xx or an accepted delivery, never 5xx."""
    settings.ALERTS_INTEGRATION_RATE_LIMIT = 0
    settings.ALERTS_ORGANIZATION_RATE_LIMIT = 0
    target = build_target(route, org_a)
    if target is None:
        pytest.skip(f"{route.name}: add HOOK_CASES[{route.name!r}] to tests/<app>/factories.py "
                    "(a builder returning aiops.testing.hooks.HookTarget) so the fuzzer can authenticate")
    client = Client()
    if target.valid_body is not None:
        raw = target.encode(json.dumps(target.valid_body))
        accepted = client.post(target.url, data=raw, content_type=target.content_type, **target.headers(raw))
        assert accepted.status_code < 400, (route.name, accepted.status_code, accepted.content[:500])

    @FUZZ
    @given(body=bodies(target.valid_body), header=header_text)
    def run(body, header):
        before = _counts(route)
        raw = target.encode(body)
        headers = {**target.headers(raw), "HTTP_X_GITHUB_EVENT": header, "HTTP_X_GITLAB_EVENT": header}
        response = client.post(target.url, data=raw, content_type=target.content_type, **headers)
        _assert_safe(route, response, before)

    run()
