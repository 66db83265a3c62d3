"""PostgreSQL-only indexes: trigram search over the alert text, containment over labels.

They are not in the model state (SQLite has neither GIN nor pg_trgm), so they are created here and
left alone by makemigrations. The search index must be built on exactly the expression the filter
uses, hence the SQL is compiled from `apps.alerts.expressions.search_document`. (Django's
`OpClass` wraps an expression index in one pair of parentheses too many for `gin_trgm_ops`.)
"""
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper
from django.db.models.sql import Query

from apps.alerts.expressions import search_document

SEARCH = "alert_search_trgm"
LABELS = GinIndex(fields=["labels"], opclasses=["jsonb_path_ops"], name="alert_labels_gin")


def _search_sql(alert, schema_editor) -> str:
    query = Query(alert, alias_cols=False)
    expression = Upper(search_document()).resolve_expression(query, allow_joins=False)
    sql, params = expression.as_sql(query.get_compiler(connection=schema_editor.connection), schema_editor.connection)
    inlined = sql % tuple(schema_editor.quote_value(p) for p in params)
    table = schema_editor.quote_name(alert._meta.db_table)
    return f"CREATE INDEX {schema_editor.quote_name(SEARCH)} ON {table} USING gin (({inlined}) gin_trgm_ops)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    alert = apps.get_model("alerts", "Alert")
    schema_editor.execute(_search_sql(alert, schema_editor))
    schema_editor.add_index(alert, LABELS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    alert = apps.get_model("alerts", "Alert")
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(SEARCH)}")
    schema_editor.remove_index(alert, LABELS)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_severity_rank_index")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
