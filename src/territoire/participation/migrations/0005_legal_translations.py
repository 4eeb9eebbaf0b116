"""French and English versions of the content (django-modeltranslation): the French
columns start with the text already there; English is filled by staff or the demo."""

from django.db import migrations, models
from django.db.models import F

TRANSLATED = {
    "consultation": ("title", "description"),
    "question": ("text", "help_text", "scale_min_label", "scale_max_label"),
    "questionoption": ("label",),
    "participatorybudget": ("title", "description"),
    "envelope": ("name",),
    "budgetcategory": ("name",),
}


def copy_french(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("participation", model_name)
        model._default_manager.update(**{f"{name}_fr": F(name) for name in fields})


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0004_partux_receipts_unspent"),
    ]

    operations = [
        migrations.AddField(
            model_name="budgetcategory",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="budgetcategory",
            name="name_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="consultation",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="présentation"),
        ),
        migrations.AddField(
            model_name="consultation",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="présentation"),
        ),
        migrations.AddField(
            model_name="consultation",
            name="title_en",
            field=models.CharField(max_length=300, null=True, verbose_name="titre"),
        ),
        migrations.AddField(
            model_name="consultation",
            name="title_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="titre"),
        ),
        migrations.AddField(
            model_name="envelope",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="envelope",
            name="name_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="participatorybudget",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="présentation"),
        ),
        migrations.AddField(
            model_name="participatorybudget",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="présentation"),
        ),
        migrations.AddField(
            model_name="participatorybudget",
            name="title_en",
            field=models.CharField(max_length=300, null=True, verbose_name="titre"),
        ),
        migrations.AddField(
            model_name="participatorybudget",
            name="title_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="titre"),
        ),
        migrations.AddField(
            model_name="question",
            name="help_text_en",
            field=models.CharField(blank=True, max_length=500, null=True, verbose_name="aide"),
        ),
        migrations.AddField(
            model_name="question",
            name="help_text_fr",
            field=models.CharField(blank=True, max_length=500, null=True, verbose_name="aide"),
        ),
        migrations.AddField(
            model_name="question",
            name="scale_max_label_en",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="libellé du maximum"),
        ),
        migrations.AddField(
            model_name="question",
            name="scale_max_label_fr",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="libellé du maximum"),
        ),
        migrations.AddField(
            model_name="question",
            name="scale_min_label_en",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="libellé du minimum"),
        ),
        migrations.AddField(
            model_name="question",
            name="scale_min_label_fr",
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name="libellé du minimum"),
        ),
        migrations.AddField(
            model_name="question",
            name="text_en",
            field=models.CharField(max_length=500, null=True, verbose_name="question"),
        ),
        migrations.AddField(
            model_name="question",
            name="text_fr",
            field=models.CharField(max_length=500, null=True, verbose_name="question"),
        ),
        migrations.AddField(
            model_name="questionoption",
            name="label_en",
            field=models.CharField(max_length=300, null=True, verbose_name="libellé"),
        ),
        migrations.AddField(
            model_name="questionoption",
            name="label_fr",
            field=models.CharField(max_length=300, null=True, verbose_name="libellé"),
        ),
        migrations.RunPython(copy_french, migrations.RunPython.noop),
    ]
