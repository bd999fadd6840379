"""pg_trgm for typo-tolerant product search (catalog.search); a no-op on SQLite."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TRGM_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_product_name_trgm "
    "ON catalog_product USING gin (name gin_trgm_ops)"
)


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRGM_INDEX)


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_product_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_review")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
