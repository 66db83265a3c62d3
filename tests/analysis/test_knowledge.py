"""The knowledge base: shipped files validate, bad files fail loudly, matching and placeholders."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.analysis import knowledge


def test_shipped_files_load_with_unique_ids_and_a_catch_all():
    entries = knowledge.load([knowledge.SHIPPED_DIR])
    assert len(entries) >= 30
    assert len({e.id for e in entries}) == len(entries)
    assert knowledge.match("SomethingNobodyWrote").id == "generic"


def test_exact_name_beats_a_pattern():
    assert (
        knowledge.match("RedisOutOfMemory").id == "redis-memory-high"
    )  # not the host "*OutOfMemory*" pattern
    assert knowledge.match("PostgresqlDown").id == "postgres-down"  # not the generic "*Down"
    assert knowledge.match("PaymentGatewayDown").id == "target-down"
    assert knowledge.match("nginxhighhttp5xxerrorrate").id == "nginx-5xx"  # case-insensitive


def test_label_conditions_must_all_match(tmp_path):
    (tmp_path / "custom.yaml").write_text("""
family: custom
entries:
  - id: prod-disk
    title: Production disk
    match: {names: [HostOutOfDiskSpace], labels: {env: "prod.*"}}
    layer: host
    root_cause: Production disk {mountpoint|?} is full.
    impact: Bad.
    remediation: [{step: Clean up.}]
    prevention: []
    confidence: 0.9
""")
    [entry] = knowledge.load([tmp_path])
    assert entry.score("HostOutOfDiskSpace", {"env": "production"}) > 1000
    assert entry.score("HostOutOfDiskSpace", {"env": "staging"}) == 0


def test_extra_directories_extend_the_shipped_knowledge(tmp_path, settings):
    (tmp_path / "team.yaml").write_text("""
family: team
entries:
  - id: billing-queue
    title: Billing queue backlog
    match: {names: [BillingQueueBacklog]}
    layer: workload
    root_cause: The invoice worker is behind.
    impact: Invoices are late.
    remediation: [{step: Scale the invoice worker.}]
    prevention: [Autoscale on queue depth.]
    confidence: 0.7
""")
    settings.ANALYSIS_KNOWLEDGE_DIRS = [str(tmp_path)]
    knowledge.reload()
    try:
        assert knowledge.match("BillingQueueBacklog").title == "Billing queue backlog"
    finally:
        del settings.ANALYSIS_KNOWLEDGE_DIRS
        knowledge.reload()


@pytest.mark.parametrize(
    "content, message",
    [
        ("family: x\nentries: []\n", "entries: [] should be non-empty"),
        ("family: x\nentries:\n  - id: Bad Id\n", "entries/0"),
        (
            "family: x\nentries: [{id: a, title: t, match: {names: [A]}, layer: galaxy, root_cause: r, "
            "impact: i, remediation: [{step: s}], prevention: [], confidence: 0.5}]\n",
            "entries/0/layer",
        ),
        (
            "family: x\nentries: [{id: a, title: t, match: {names: [A], labels: {env: '('}}, layer: host, "
            "root_cause: r, impact: i, remediation: [{step: s}], prevention: [], confidence: 0.5}]\n",
            "bad label regex",
        ),
        ("family: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_files_fail_with_the_file_and_the_field(tmp_path, content, message):
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    with pytest.raises(ImproperlyConfigured) as err:
        knowledge.load([tmp_path])
    assert str(path) in str(err.value) and message in str(err.value)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    entry = (
        "family: {f}\nentries: [{{id: same, title: t, match: {{names: [A]}}, layer: host, root_cause: r, "
        "impact: i, remediation: [{{step: s}}], prevention: [], confidence: 0.5}}]\n"
    )
    (tmp_path / "a.yaml").write_text(entry.format(f="a"))
    (tmp_path / "b.yaml").write_text(entry.format(f="b"))
    with pytest.raises(ImproperlyConfigured, match="already defined in a.yaml"):
        knowledge.load([tmp_path])


def test_missing_directory_is_reported():
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        knowledge.load([Path("/nonexistent/knowledge")])


def test_placeholders_fallbacks_and_literal_braces():
    text = "{mountpoint} on {instance|the host}, {device|} -w '%{{time_total}}' {missing}"
    assert knowledge.render(text, {"mountpoint": "/var"}) == "/var on the host,  -w '%{time_total}' <missing>"
    assert knowledge.render("{.status.phase}", {}) == "{.status.phase}"  # jsonpath is left alone
