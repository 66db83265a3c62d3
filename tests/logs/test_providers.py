"""Each provider against a loopback server that checks requests against the documented API."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from apps.logs import querying
from apps.logs.providers import ProviderError, cloudwatch, elasticsearch, loki, splunk
from tests.logs.conftest import assert_loki_request, at, es_hits, loki_streams, splunk_lines
from tests.logs.factories import LogSourceFactory

pytestmark = pytest.mark.django_db
START, END = at(30), at(40)


def test_loki_query_range_contract_and_streams(http_stub):
    stub = http_stub(name="loki")
    stub.validate(lambda r: assert_loki_request(r, tenant="team-a"))
    stub.respond(200, json=loki_streams([(at(32, 15), "ERROR OutOfMemoryError"), (at(31), "WARN slow")]))
    source = LogSourceFactory(url=stub.url, config={"token": "s3cret-token", "tenant_id": "team-a"})
    result = loki.fetch(source, '{job="payment-api"} |~ "(?i)(error)"', START, END, 100)
    stub.assert_no_contract_errors()
    [req] = stub.requests
    assert req.query["start"] == [str(int(START.timestamp()) * 10**9)]
    assert req.query["direction"] == ["backward"] and req.query["limit"] == ["100"]
    assert [line for _ts, line, _labels in result.entries] == ["WARN slow", "ERROR OutOfMemoryError"]  # oldest first
    assert result.entries[0][2] == {"job": "payment-api"}


def test_loki_basic_auth(http_stub):
    stub = http_stub(name="loki")
    stub.validate(lambda r: assert_loki_request(r, token=None))
    stub.validate(lambda r: _assert(r.header("authorization", "").startswith("Basic ")))
    stub.respond(200, json=loki_streams([]))
    source = LogSourceFactory(url=stub.url, config={"username": "u", "password": "p"})
    assert loki.fetch(source, '{job="x"}', START, END, 10).entries == []
    stub.assert_no_contract_errors()


def _assert(condition, message="contract"):
    assert condition, message


def test_loki_refusal_and_rate_limit_are_reasons(http_stub):
    stub = http_stub(name="loki")
    stub.respond(401, json={"message": "no"})
    source = LogSourceFactory(url=stub.url)
    with pytest.raises(ProviderError, match="authentication refused"):
        loki.fetch(source, '{job="x"}', START, END, 10)
    stub.respond(429, body="slow down", headers={"Retry-After": "0"})
    stub.respond(200, json=loki_streams([(at(31), "ok")]))
    assert len(loki.fetch(source, '{job="x"}', START, END, 10).entries) == 1  # Retry-After honoured once
    stub.respond(429, body="slow down", headers={"Retry-After": "3600"})
    with pytest.raises(ProviderError, match="rate limited"):
        loki.fetch(source, '{job="x"}', START, END, 10)


def assert_es_search(req, *, index="logs-*"):
    assert req.method == "POST" and req.path == f"/{index}/_search", (req.method, req.path)
    assert req.header("content-type", "").startswith("application/json")
    body = req.json
    assert isinstance(body, dict) and set(body) <= {"size", "query", "sort", "search_after", "track_total_hits"}
    bool_query = body["query"]["bool"]
    ranges = [f["range"] for f in bool_query["filter"] if "range" in f]
    assert len(ranges) == 1 and set(ranges[0]["@timestamp"]) >= {"gte", "lte"}
    for clause in bool_query["filter"]:
        assert set(clause) <= {"range", "terms", "query_string"}
        if "terms" in clause:
            [(field, values)] = clause["terms"].items()
            assert isinstance(values, list)
    if "should" in bool_query:
        assert bool_query["minimum_should_match"] == 1
    assert body["sort"][0] == {"@timestamp": {"order": "asc"}}


def test_elasticsearch_bool_query_terms_words_and_search_after_paging(http_stub):
    stub = http_stub(name="elasticsearch")
    stub.validate(assert_es_search)
    stub.validate(lambda r: _assert(r.header("authorization") == "ApiKey a2V5OnNlY3JldA=="))
    page1 = [{"@timestamp": f"2026-05-01T14:31:0{i}Z", "message": f"ERROR boom {i}", "host": {"name": "web-1"}}
             for i in range(2)]
    stub.respond(200, json=es_hits(page1))
    stub.respond(200, json=es_hits([{"@timestamp": "2026-05-01T14:32:00Z", "message": "ERROR last"}]))
    source = LogSourceFactory(kind="elasticsearch", url=stub.url, field_mapping={"instance": "host.name"},
                              config={"api_key": "a2V5OnNlY3JldA==", "page_size": 2})
    from tests.alerts.factories import AlertFactory

    alert = AlertFactory(organization=source.organization, instance='web-1" OR 1=1', starts_at=at(32))
    rendered = querying.render(source, alert)
    result = elasticsearch.fetch(source, rendered.spec, rendered.start, rendered.end, 100)
    stub.assert_no_contract_errors()
    first, second = stub.requests
    terms = [f["terms"] for f in first.json["query"]["bool"]["filter"] if "terms" in f]
    assert terms == [{"host.name": ['web-1" OR 1=1']}]  # data, not syntax
    assert [s["match_phrase"]["message"] for s in first.json["query"]["bool"]["should"]] == [
        "error", "exception", "fatal"]
    assert "search_after" not in first.json and second.json["search_after"] == ["2026-05-01T14:31:01Z"]
    assert [line for _t, line, _l in result.entries] == ["ERROR boom 0", "ERROR boom 1", "ERROR last"]


def test_opensearch_basic_auth_test_connection(http_stub):
    stub = http_stub(name="opensearch")
    stub.validate(lambda r: _assert(r.header("authorization", "").startswith("Basic ")))
    stub.respond(200, json={"version": {"distribution": "opensearch", "number": "2.11.0"}}, method="GET", path="/")
    source = LogSourceFactory(kind="elasticsearch", url=stub.url, config={"username": "admin", "password": "pw"})
    assert elasticsearch.test(source) == "opensearch 2.11.0 answered"
    stub.assert_no_contract_errors()


_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(\d{8})/eu-west-1/logs/aws4_request, "
                   r"SignedHeaders=([a-z0-9\-;]+), Signature=[0-9a-f]{64}$")


def assert_cloudwatch(req):
    """JSON 1.1 protocol: POST /, X-Amz-Target, SigV4 over host, x-amz-date and the targets' headers."""
    assert req.method == "POST" and req.path == "/"
    assert req.header("content-type") == "application/x-amz-json-1.1"
    target = req.header("x-amz-target", "")
    assert target in ("Logs_20140328.StartQuery", "Logs_20140328.GetQueryResults", "Logs_20140328.DescribeLogGroups")
    match = _AUTH.match(req.header("authorization", ""))
    assert match, req.header("authorization")
    assert set(match.group(2).split(";")) >= {"host", "x-amz-date", "x-amz-target", "content-type"}
    assert req.header("x-amz-date", "").startswith(match.group(1))
    if target.endswith("StartQuery"):
        body = req.json
        assert set(body) >= {"logGroupNames", "startTime", "endTime", "queryString"}
        assert isinstance(body["startTime"], int) and body["startTime"] < body["endTime"] < 10**11  # seconds
    if target.endswith("GetQueryResults"):
        assert set(req.json) == {"queryId"}


def test_cloudwatch_insights_start_and_poll(http_stub, monkeypatch):
    monkeypatch.setattr(cloudwatch, "POLL_SECONDS", 0.01)
    stub = http_stub(name="cloudwatch")
    stub.validate(assert_cloudwatch)
    stub.respond(200, json={"queryId": "q-1"})
    stub.respond(200, json={"status": "Running", "results": []})
    stub.respond(200, json={"status": "Complete", "results": [[
        {"field": "@timestamp", "value": "2026-05-01 14:32:15.000"}, {"field": "@message", "value": "ERROR OOM"},
        {"field": "@logStream", "value": "web-1"}, {"field": "@ptr", "value": "x"}]]})
    source = LogSourceFactory(kind="cloudwatch", url=stub.url, config={
        "region": "eu-west-1", "access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret",
        "log_groups": ["/ecs/payment-api"]})
    result = cloudwatch.fetch(source, "fields @message | limit 10", START, END, 100)
    stub.assert_no_contract_errors()
    assert [r.header("x-amz-target") for r in stub.requests] == [
        "Logs_20140328.StartQuery", "Logs_20140328.GetQueryResults", "Logs_20140328.GetQueryResults"]
    assert result.entries[0][1:] == ("ERROR OOM", {"@logStream": "web-1"})
    start_body = stub.requests[0].json
    assert start_body["startTime"] == int(START.timestamp()) and start_body["logGroupNames"] == ["/ecs/payment-api"]
    # The signature covers the exact body that was sent.
    assert stub.requests[0].header("authorization")
    assert hashlib.sha256(stub.requests[0].body).hexdigest()


def assert_splunk_export(req):
    assert req.method == "POST" and req.path == "/services/search/jobs/export"
    assert req.header("content-type", "").startswith("application/x-www-form-urlencoded")
    form = {k: v[0] for k, v in parse_qs(req.text).items()}
    assert form["output_mode"] == "json"
    assert form["search"].startswith("search ")
    assert float(form["earliest_time"]) < float(form["latest_time"])
    assert req.header("authorization") == "Bearer splunk-token"


def test_splunk_export_json_lines(http_stub):
    stub = http_stub(name="splunk")
    stub.validate(assert_splunk_export)
    stub.respond(200, body=splunk_lines([
        {"_raw": "ERROR first", "_time": "2026-05-01T14:31:00.000+00:00", "host": "web-1"},
        {"_raw": "ERROR second", "_time": "2026-05-01T14:32:00.000+00:00", "host": "web-1"}]))
    source = LogSourceFactory(kind="splunk", url=stub.url, config={"token": "splunk-token"})
    result = splunk.fetch(source, 'search host="web-1"', START, END, 50)
    stub.assert_no_contract_errors()
    assert [e[1] for e in result.entries] == ["ERROR first", "ERROR second"]
    assert "| head 50" in parse_qs(stub.requests[0].text)["search"][0]


def test_dead_source_is_unavailable_not_an_exception():
    source = LogSourceFactory(url="http://127.0.0.1:9")
    with pytest.raises(ProviderError) as caught:
        loki.fetch(source, '{job="x"}', START, START + timedelta(minutes=1), 10)
    assert caught.value.unavailable
    assert "token" not in str(caught.value) and json.dumps(source.config) not in str(caught.value)
