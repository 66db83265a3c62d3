"""The runbook YAML schema: both spec examples load, export writes the spec's schema, round trips
lose nothing, and broken files get line-numbered, human-readable errors."""

import pytest
import yaml

from apps.runbooks import yamlio
from apps.runbooks.schema import InvalidDefinition

from .conftest import spec_yaml


def errors_of(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as info:
        yamlio.load(text)
    return info.value.messages


def test_technical_plan_example_loads_and_exports_in_the_same_schema():
    text = spec_yaml()
    definition = yamlio.load(text)
    assert definition["name"] == "Restart Service"
    assert definition["execution"] == {
        "mode": "semi_auto",
        "approval_required": True,
        "approval_timeout_minutes": 30,
        "max_executions_per_hour": 5,
        "cooldown_minutes": 15,
    }
    assert [s["type"] for s in definition["steps"]] == ["command", "command", "api"]
    assert definition["steps"][1]["rollback_command_linux"] == "systemctl start {{service_name}}"
    assert definition["notifications"]["on_failure"] == [{"channel": "pagerduty", "severity": "critical"}]
    exported = yamlio.dump(definition)
    # Exactly the spec's document: same keys, same values, nothing added or dropped.
    assert yaml.safe_load(exported) == yaml.safe_load(text)
    assert yamlio.load(exported) == definition


def test_product_brief_example_loads_through_aliases_and_round_trips():
    definition = yamlio.load(spec_yaml("restart-service-brief.yaml"))
    assert definition["execution"]["approval_timeout_minutes"] == 30
    assert definition["execution"]["max_executions_per_hour"] == 5
    check, restart, verify = definition["steps"]
    assert check == {
        "name": "Check Current Status",
        "type": "command",
        "command_linux": "systemctl status {{service_name}}",
        "timeout_seconds": 30,
        "continue_on_fail": True,
    }
    assert restart["requires_elevation"] is True and restart["rollback_command_linux"].startswith(
        "systemctl start"
    )
    assert verify == {
        "name": "Verify Health",
        "type": "api",
        "method": "GET",
        "endpoint": "{{health_check_url}}",
        "expected_status_codes": [200],
        "retry_count": 3,
        "retry_delay_seconds": 10,
    }
    exported = yamlio.dump(definition)
    assert "command_linux:" in exported and "timeout:" not in exported  # written in the canonical spelling
    assert yamlio.load(exported) == definition


def test_round_trip_keeps_every_optional_field():
    text = """
name: Everything
slug: every-thing
description: |
  Two lines
  of text
category: db
tags: [a, b]
enabled: false
execution: {mode: auto, approval_timeout_minutes: 5, max_executions_per_hour: 2, cooldown_minutes: 1}
target: {name: db-1}
parameters:
  - {name: db, source: label, key: database, default: main, pattern: "^[a-z]+$", description: Which DB}
  - {name: level, source: input, choices: [low, high], required: false}
triggers:
  - {alert_pattern: "Postgres*", severity: critical, labels: {env: prod*}, min_duration_seconds: 0}
steps:
  - {name: vacuum, command: "vacuumdb {{db}}", timeout: 120, retries: 2, retry_delay: 3, requires_sudo: false}
  - name: notify
    type: api
    method: post
    url: "https://hooks.example/{{db}}"
    headers: {X-Token: abc}
    body: {db: "{{db}}", n: 1}
    expected_status: [200, 202]
    timeout: 5
    continue_on_fail: true
notifications:
  on_success: [{channel: email, message: "done {{db}}", to: ops@example.com}]
"""
    definition = yamlio.load(text)
    assert definition["enabled"] is False and definition["slug"] == "every-thing"
    assert definition["target"] == {"name": "db-1"}
    assert definition["triggers"][0]["severity"] == ["critical"]
    assert definition["steps"][1]["method"] == "POST"
    again = yamlio.load(yamlio.dump(definition))
    assert again == definition
    assert yamlio.checksum(again) == yamlio.checksum(definition)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("timeout_seconds: 60", "timeout_seconds: sixty"),
            "line 30: steps[1].timeout_seconds must be an integer",
        ),
        (
            ("mode: semi_auto", "mode: sometimes"),
            "line 8: execution.mode must be one of auto, semi_auto, manual",
        ),
        (
            ("severity: [critical, warning]", "severity: [critical, urgent]"),
            "line 16: triggers[0].severity[1] must be one of critical, warning, info",
        ),
        (
            ("    retry_count: 3", "    retry_count: 3\n    retry_sometimes: 3"),
            "line 39: steps[2].retry_sometimes is not a known key",
        ),
        (
            ("approval_required: true", "approval_required: false"),
            "line 9: execution.approval_required cannot be false in semi_auto mode",
        ),
        (("    type: api", "    type: ftp"), "line 34: steps[2].type must be one of command, api"),
        (
            ("max_executions_per_hour: 5", "max_executions_per_hour: 0"),
            "line 11: execution.max_executions_per_hour must be at least 1",
        ),
    ],
)
def test_broken_spec_file_names_line_and_path(change, expected):
    old, new = change
    text = spec_yaml()
    assert old in text
    messages = errors_of(text.replace(old, new, 1))
    assert any(m.startswith(expected) for m in messages), messages


def test_several_problems_are_reported_together_in_line_order():
    messages = errors_of(
        "name: x\nexecution:\n  mode: nope\nsteps:\n  - name: a\n    timeout: 1.5\n    command: ls\n"
    )
    assert messages == [
        "line 3: execution.mode must be one of auto, semi_auto, manual",
        "line 6: steps[0].timeout must be an integer",
    ]


def test_yaml_syntax_error_has_line_and_column():
    [message] = errors_of("name: x\nsteps:\n  - name: a\n   command: ls\n")
    assert message.startswith("line 4: document is not valid YAML") and "column" in message


def test_duplicate_keys_are_errors_not_silently_dropped():
    [message] = errors_of("name: x\nsteps:\n  - name: a\n    command: ls\n    command: rm -rf /tmp/x\n")
    assert message == "line 5: steps[0].command is given twice (the later value would silently win)"


def test_alias_and_canonical_name_together_is_an_error():
    messages = errors_of("name: x\nsteps:\n  - name: a\n    command: ls\n    command_linux: pwd\n")
    assert messages == ["line 5: steps[0].command_linux repeats 'command' under another name"]


@pytest.mark.parametrize("command", ['echo "{{x}}"', "echo '{{x}}'", 'echo "a b {{ x }} c"'])
def test_placeholders_inside_quotes_are_refused(command):
    messages = errors_of(f"name: x\nsteps:\n  - name: a\n    command: {yaml.safe_dump(command).strip()}\n")
    assert messages == [
        "line 4: steps[0].command puts {{x}} inside quotes; values are shell-quoted automatically, "
        "so remove the quotes"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "document is empty"),
        ("- a\n- b\n", "line 1: document must be a mapping (key: value)"),
        ("name: x\n", "line 1: steps is required (at least one step)"),
        ("name: x\nsteps: []\n", "line 2: steps must hold at least one step"),
        ("steps:\n  - {name: a, command: ls}\n", "line 1: name is required"),
        ("name: x\nsteps:\n  - {name: a}\n", "line 3: steps[0].type is required (command or api)"),
        (
            "name: x\nsteps:\n  - {name: a, url: 'ftp://x'}\n",
            "line 3: steps[0].url must be an http:// or https:// URL (or start with a {{placeholder}})",
        ),
        (
            "name: x\nsteps:\n  - {name: a, command: 'ls {{x'}\n",
            "line 3: steps[0].command has a malformed placeholder",
        ),
        (
            "name: x\nparameters:\n  - {name: 1x}\nsteps:\n  - {name: a, command: ls}\n",
            "line 3: parameters[0].name must be an identifier",
        ),
        (
            "name: x\nparameters:\n  - {name: a, pattern: '('}\nsteps:\n  - {name: a, command: ls}\n",
            "line 3: parameters[0].pattern is not a valid regular expression",
        ),
        (
            "name: x\nexecution: {mode: auto, approval_required: true}\nsteps:\n  - {name: a, command: ls}\n",
            "line 2: execution.approval_required cannot be true in auto mode",
        ),
        (
            "name: x\ntarget: {label: instance, name: web}\nsteps:\n  - {name: a, command: ls}\n",
            "line 2: target must name either an alert label",
        ),
        (
            "name: x\nnotifications: {on_success: [{message: hi}]}\nsteps:\n  - {name: a, command: ls}\n",
            "line 2: notifications.on_success[0].channel is required",
        ),
        (b"name: \xff\n", "document is not UTF-8 text"),
    ],
)
def test_broken_documents(text, expected):
    messages = errors_of(text)
    assert any(m.startswith(expected) for m in messages), messages
