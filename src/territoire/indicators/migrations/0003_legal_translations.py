"""French and English versions of the content (django-modeltranslation): the French
columns start with the text already there; English is filled by staff or the demo."""

from django.db import migrations, models
from django.db.models import F

TRANSLATED = {"indicatordefinition": ("name", "description", "method")}


def copy_french(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("indicators", model_name)
        model._default_manager.update(**{f"{name}_fr": F(name) for name in fields})


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0002_entry_pending_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="indicatordefinition",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="indicatordefinition",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="indicatordefinition",
            name="method_en",
            field=models.TextField(
                help_text="Affichée publiquement avec chaque chiffre.",
                null=True,
                verbose_name="méthode de calcul",
            ),
        ),
        migrations.AddField(
            model_name="indicatordefinition",
            name="method_fr",
            field=models.TextField(
                help_text="Affichée publiquement avec chaque chiffre.",
                null=True,
                verbose_name="méthode de calcul",
            ),
        ),
        migrations.AddField(
            model_name="indicatordefinition",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="indicatordefinition",
            name="name_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="nom"),
        ),
        migrations.RunPython(copy_french, migrations.RunPython.noop),
    ]
