from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "kalytera_cache"


def create_cache_table(apps, schema_editor) -> None:
    # Created even when Redis is configured, so that switching to the database cache
    # (REDIS_URL unset) needs no extra step.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("kalytera", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
