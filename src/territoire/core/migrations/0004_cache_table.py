"""The table of the default, database cache is made by ``migrate`` (no step to forget).

``createcachetable`` makes the table of every database cache in ``CACHES`` that is
missing and does nothing otherwise (Redis configured, or the table already there).
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_lease")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
