"""A bounded schemathesis run over every operation of the OpenAPI schema, against the live server.

Few examples per operation (`SCHEMATHESIS_EXAMPLES`, default 1 per mode; positive and negative data) and
a wall-clock budget (`SCHEMATHESIS_BUDGET_SECONDS`, default 180) keep it within the suite's time;
operations not reached within the budget are reported, not failed. Asserts: no response is a
5xx, and no refused write (4xx) changes the number of stored rows of any tenant-owned model.
"""
import contextlib
import os
import time

import pytest
import requests
from django.apps import apps
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from aiops.querysets import OrgScopedQuerySet
from aiops.testing.factories import make_in_org
from aiops.testing.routes import api_routes

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in requirements/dev.txt")
from schemathesis import GenerationMode  # noqa: E402

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "1"))
BUDGET = float(os.environ.get("SCHEMATHESIS_BUDGET_SECONDS", "180"))
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _tenant_models():
    return [m for m in apps.get_models() if isinstance(m._default_manager.all(), OrgScopedQuerySet)]


def _counts(models):
    """Row counts of every tenant-owned table, in one query (it runs twice per generated write)."""
    from django.db import connection

    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables))
        return tuple(cursor.fetchone())


def _schema():
    from drf_spectacular.generators import SchemaGenerator

    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_without_a_server_error(live_server, org_a, users_a):
    from apps.tenancy.services import api_token_create

    for route in api_routes():  # one row per model so some generated ids and filters hit something
        with contextlib.suppress(LookupError):
            make_in_org(route.model, org_a)
    token = api_token_create(user=users_a["owner"], organization=org_a, name="schemathesis").plaintext
    auth = {"Authorization": f"Bearer {token}"}
    models = _tenant_models()
    session = requests.Session()
    failures, refused_writes_that_stored, reached, started = [], [], 0, time.monotonic()
    timings: list[float] = []
    operations = [result.ok() for result in _schema().get_all_operations()]
    assert len(operations) > 50, len(operations)

    for operation in operations:
        if time.monotonic() - started > BUDGET:
            break
        reached += 1
        strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        with contextlib.suppress(Exception):  # some operations have nothing to negate
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        for strategy in strategies:
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                before = _counts(models) if case.method.upper() in WRITES else None
                t0 = time.monotonic()
                response = case.call(base_url=live_server.url, session=session, headers=auth, timeout=30)
                where = f"{case.method.upper()} {case.formatted_path}"
                timings.append(time.monotonic() - t0)
                if response.status_code >= 500:
                    failures.append((where, response.status_code, response.text[:300]))
                elif before is not None and 400 <= response.status_code < 500 and _counts(models) != before:
                    refused_writes_that_stored.append((where, response.status_code))

            try:
                run()
            except Unsatisfiable:
                continue
    print(f"schemathesis: {reached}/{len(operations)} operations in {time.monotonic() - started:.0f} s, "
          f"{EXAMPLES} examples per mode, {len(timings)} requests taking {sum(timings):.0f} s")
    session.close()
    assert not failures, failures[:20]
    assert not refused_writes_that_stored, refused_writes_that_stored[:20]
    # The owner's token still works: no generated request revoked it or changed the owner's role.
    assert requests.get(f"{live_server.url}/api/v1/alerts/", headers=auth, timeout=10).status_code == 200
