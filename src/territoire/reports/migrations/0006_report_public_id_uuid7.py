"""Reports' public ids become time-ordered (core.ids.uuid7).

Only the Python default changes, so the database has nothing to do: a plain AlterField
would make SQLite copy the whole table (every report) to change nothing.
"""

from django.db import migrations, models

import territoire.core.ids


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_updated_at_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="report",
                    name="public_id",
                    field=models.UUIDField(
                        default=territoire.core.ids.uuid7,
                        editable=False,
                        unique=True,
                        verbose_name="identifiant public",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
