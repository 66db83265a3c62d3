"""Git sync benchmark: first sync of 1,000 runbook files, re-sync with an unchanged head, one changed
file, and push webhook → runbook updated (p50/p95) through a real Celery worker.

Targets from issue 21: first sync < 30 s, unchanged head < 1 s, one changed file < 2 s, push →
runbook updated p95 < 10 s. Prints figures, never fails on time. Runs on whatever database and
broker the environment names (PostgreSQL + Redis, or the embedded SQLite + filesystem broker).
Tune with BENCH_GITSYNC_FILES (default 1000) and BENCH_GITSYNC_PUSHES (default 10).

    make bench BENCH_ARGS=tests/benchmarks/test_gitsync.py
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import statistics
import time
import uuid

import pytest
from django.db import connection
from django.test import Client

from apps.gitsync import services
from apps.gitsync.choices import SyncStatus
from apps.gitsync.sync import repository_sync
from apps.runbooks.models import Runbook
from tests.gitsync.conftest import GitRepo, runbook_yaml
from tests.tenancy.factories import OrganizationFactory

FILES = int(os.environ.get("BENCH_GITSYNC_FILES", "1000"))
PUSHES = int(os.environ.get("BENCH_GITSYNC_PUSHES", "10"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@pytest.mark.django_db(transaction=True)
def test_gitsync_figures(tmp_path, celery_worker_process):
    org = OrganizationFactory(name="Bench", slug="bench")
    repo = GitRepo(tmp_path / "git")
    repo.commit("1000 runbooks", {f"runbooks/team-{i % 20}/rb-{i:04d}.yaml": runbook_yaml(f"Runbook {i:04d}")
                                  for i in range(FILES)})
    repository = services.repository_create(organization=org, name="bench", url=repo.url, path="runbooks",
                                            webhook_provider="github", webhook_secret="bench-secret")
    backend = f"{connection.vendor}"

    started = time.perf_counter()
    first = repository_sync(repository_id=repository.pk)
    first_s = time.perf_counter() - started
    assert first.status == SyncStatus.SUCCEEDED and first.created_count == FILES, first.error

    started = time.perf_counter()
    again = repository_sync(repository_id=repository.pk)
    unchanged_s = time.perf_counter() - started
    assert again.status == SyncStatus.NO_CHANGE

    repo.commit("one change", {"runbooks/team-0/rb-0000.yaml": runbook_yaml("Runbook 0000", command="echo one")})
    started = time.perf_counter()
    one = repository_sync(repository_id=repository.pk)
    one_s = time.perf_counter() - started
    assert one.updated_count == 1 and one.unchanged_count == FILES - 1

    # Push webhook → worker sync → runbook updated, measured until the new version is visible.
    latencies = []
    client = Client()
    for n in range(PUSHES):
        command = f"echo push-{n}"
        sha = repo.commit(f"push {n}", {"runbooks/team-1/rb-0001.yaml": runbook_yaml("Runbook 0001", command=command)})
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        signature = "sha256=" + hmac.new(b"bench-secret", body, hashlib.sha256).hexdigest()
        started = time.perf_counter()
        response = client.post(f"/hooks/gitsync/{repository.webhook_token}/", body, content_type="application/json",
                               HTTP_X_HUB_SIGNATURE_256=signature, HTTP_X_GITHUB_EVENT="push",
                               HTTP_X_GITHUB_DELIVERY=str(uuid.uuid4()))
        assert response.status_code == 202, response.content
        deadline = started + 60
        while time.perf_counter() < deadline:
            runbook = Runbook.objects.get(organization=org, slug="runbook-0001")
            if runbook.steps[0]["command_linux"] == command:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"push {n} not applied within 60 s:\n{celery_worker_process.log()[-3000:]}")
        latencies.append(time.perf_counter() - started)

    print(
        f"\n[gitsync] database={backend} files={FILES}\n"
        f"  first sync of {FILES} files: {first_s:.2f} s (target < 30 s; run says {first.duration_ms} ms)\n"
        f"  re-sync, unchanged head:    {unchanged_s * 1000:.0f} ms (target < 1 s)\n"
        f"  one changed file:           {one_s * 1000:.0f} ms (target < 2 s)\n"
        f"  push webhook → runbook updated over {PUSHES} pushes (real worker): "
        f"p50 {statistics.median(latencies):.2f} s, p95 {_pct(latencies, 0.95):.2f} s, "
        f"max {max(latencies):.2f} s (target p95 < 10 s)"
    )
