"""French and English versions of the content (django-modeltranslation): the French
columns start with the text already there; English is filled by staff or the demo."""

from django.db import migrations, models
from django.db.models import F

TRANSLATED = {
    "servicecategory": ("name", "description", "group"),
    "serviceattribute": ("description", "datatype_description"),
    "reportstatus": ("label",),
}


# The default statuses (reports.models.DEFAULT_STATUSES) as created, and their English:
# an organisation that kept them reads them in English under /en/.
DEFAULT_STATUS_ENGLISH = {
    ("nouveau", "Nouveau"): "New",
    ("pris-en-compte", "Pris en compte"): "Acknowledged",
    ("planifie", "Planifié"): "Scheduled",
    ("en-cours", "En cours"): "In progress",
    ("resolu", "Résolu"): "Resolved",
    ("non-pertinent", "Non pertinent"): "Not relevant",
    ("doublon", "Doublon"): "Duplicate",
}


def copy_french(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("reports", model_name)
        model._default_manager.update(**{f"{name}_fr": F(name) for name in fields})
    statuses = apps.get_model("reports", "reportstatus")._default_manager
    for (code, label), english in DEFAULT_STATUS_ENGLISH.items():
        statuses.filter(code=code, label=label).update(label_en=english)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0009_email_confirmation"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportstatus",
            name="label_en",
            field=models.CharField(max_length=100, null=True, verbose_name="libellé"),
        ),
        migrations.AddField(
            model_name="reportstatus",
            name="label_fr",
            field=models.CharField(max_length=100, null=True, verbose_name="libellé"),
        ),
        migrations.AddField(
            model_name="serviceattribute",
            name="datatype_description_en",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="aide à la saisie"),
        ),
        migrations.AddField(
            model_name="serviceattribute",
            name="datatype_description_fr",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="aide à la saisie"),
        ),
        migrations.AddField(
            model_name="serviceattribute",
            name="description_en",
            field=models.CharField(max_length=300, null=True, verbose_name="question"),
        ),
        migrations.AddField(
            model_name="serviceattribute",
            name="description_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="question"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="group_en",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="groupe"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="group_fr",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="groupe"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="name_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.RunPython(copy_french, migrations.RunPython.noop),
    ]
