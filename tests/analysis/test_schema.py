"""Parsing and validating what a provider answers."""

import json

import pytest

from apps.analysis.schema import InvalidOutput, parse_output

BASE = {
    "root_cause": "Disk full.",
    "impact": "Writes fail.",
    "remediation": [{"step": "Clean up."}],
    "prevention": ["Rotate logs."],
    "confidence": 0.5,
    "evidence": [],
}


def parse(value, refs=("E1",)):
    return parse_output(value if isinstance(value, str) else json.dumps(value), known_refs=set(refs))


def test_plain_json_is_accepted_and_trimmed_to_the_schema():
    result = parse({**BASE, "extra": "ignored", "suggested_runbook": " disk-cleanup "})
    assert result["suggested_runbook"] == "disk-cleanup" and "extra" not in result


@pytest.mark.parametrize("wrap", ["```json\n{}\n```", "Here you go:\n{}\nHope that helps!", "```\n{}\n```"])
def test_json_inside_prose_or_fences_is_found(wrap):
    assert parse(wrap.format(json.dumps(BASE)))["root_cause"] == "Disk full."


@pytest.mark.parametrize(
    "field, value, expected",
    [
        (
            "remediation",
            ["Clean up.", "Expand the disk."],
            [{"step": "Clean up."}, {"step": "Expand the disk."}],
        ),
        (
            "remediation",
            "- Clean up.\n- Expand the disk.",
            [{"step": "Clean up."}, {"step": "Expand the disk."}],
        ),
        ("prevention", "Rotate logs.", ["Rotate logs."]),
        ("confidence", "high", 0.8),
        ("confidence", 85, 0.85),
        ("confidence", "0.3", 0.3),
    ],
)
def test_harmless_drift_is_normalised(field, value, expected):
    assert parse({**BASE, field: value})[field] == expected


def test_evidence_keeps_only_known_refs():
    result = parse(
        {
            **BASE,
            "evidence": [
                {"section": "root_cause", "claim": "x", "refs": ["E1", "E7"]},
                {"section": "impact", "refs": "E9"},
            ],
        }
    )
    assert result["evidence"] == [{"section": "root_cause", "claim": "x", "refs": ["E1"]}]


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "empty"),
        ("no json here", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ({**BASE, "remediation": []}, "remediation: [] should be non-empty"),
        ({**BASE, "confidence": 7000}, "confidence: 7000 is greater than the maximum of 1"),
        ({k: v for k, v in BASE.items() if k != "impact"}, "'impact' is a required property"),
        ({**BASE, "evidence": [{"section": "cause", "refs": []}]}, "evidence/0/section"),
    ],
)
def test_invalid_answers_say_what_is_wrong(value, message):
    with pytest.raises(InvalidOutput) as err:
        parse(value)
    assert message in str(err.value)
