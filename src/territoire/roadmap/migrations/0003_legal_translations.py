"""French and English versions of the content (django-modeltranslation): the French
columns start with the text already there; English is filled by staff or the demo."""

from django.db import migrations, models
from django.db.models import F

TRANSLATED = {
    "axis": ("name", "description"),
    "objective": ("title", "description"),
    "project": ("title", "description"),
    "risk": ("title", "description", "mitigation"),
    "partner": ("description",),
}


def copy_french(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("roadmap", model_name)
        model._default_manager.update(**{f"{name}_fr": F(name) for name in fields})


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0002_entry_risk_owner"),
    ]

    operations = [
        migrations.AddField(
            model_name="axis",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="axis",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="axis",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="axis",
            name="name_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="objective",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="objective",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="objective",
            name="title_en",
            field=models.CharField(max_length=300, null=True, verbose_name="objectif"),
        ),
        migrations.AddField(
            model_name="objective",
            name="title_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="objectif"),
        ),
        migrations.AddField(
            model_name="partner",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="rôle"),
        ),
        migrations.AddField(
            model_name="partner",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="rôle"),
        ),
        migrations.AddField(
            model_name="project",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="project",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="project",
            name="title_en",
            field=models.CharField(max_length=300, null=True, verbose_name="projet"),
        ),
        migrations.AddField(
            model_name="project",
            name="title_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="projet"),
        ),
        migrations.AddField(
            model_name="risk",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="risk",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="risk",
            name="mitigation_en",
            field=models.TextField(blank=True, null=True, verbose_name="mesures de maîtrise"),
        ),
        migrations.AddField(
            model_name="risk",
            name="mitigation_fr",
            field=models.TextField(blank=True, null=True, verbose_name="mesures de maîtrise"),
        ),
        migrations.AddField(
            model_name="risk",
            name="title_en",
            field=models.CharField(max_length=300, null=True, verbose_name="risque"),
        ),
        migrations.AddField(
            model_name="risk",
            name="title_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="risque"),
        ),
        migrations.RunPython(copy_french, migrations.RunPython.noop),
    ]
