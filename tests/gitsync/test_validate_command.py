"""`manage.py runbooks validate` — what a runbook repository's CI runs before a merge."""

import io
import json

import pytest
from django.core.management import call_command

from .conftest import runbook_yaml


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("runbooks", "validate", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_validate_exit_status_lines_and_json(tmp_path):
    (tmp_path / "ok.yaml").write_text(runbook_yaml("Fine"))
    (tmp_path / "dup.yml").write_text(runbook_yaml("Fine", command="echo 2"))
    (tmp_path / "bad.yaml").write_text("name: Bad\nexecution:\n  mode: sometimes\nsteps: []\n")
    status, text = run(str(tmp_path))
    assert status == 1
    assert f"{tmp_path / 'bad.yaml'}: line 3: execution.mode must be one of" in text
    assert "is already used by" in text and "1 valid, 2 invalid" in text
    status, text = run(str(tmp_path / "ok.yaml"), "--json")
    report = json.loads(text)
    assert status == 0 and report["valid"] is True and report["files"][0]["slug"] == "fine"


def test_validate_a_missing_path_is_an_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nope"))
