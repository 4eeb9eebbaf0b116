"""A report event's date loses its index: no query reads events across reports by date.

Every report writes an event, so the index cost a page written per report and per status
change. ``DROP INDEX`` directly: an ``AlterField`` would make SQLite copy the whole table.
The name is the one Django gave the index (the same on SQLite and PostgreSQL).
"""

from django.db import migrations, models
from django.utils import timezone

INDEX = "reports_reportevent_created_at_c09df3a7"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_report_public_id_uuid7"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reportevent",
                    name="created_at",
                    field=models.DateTimeField(default=timezone.now, verbose_name="date"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "reports_reportevent" ("created_at")',
                ),
            ],
        ),
    ]
