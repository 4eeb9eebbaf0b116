"""English of the demo's report categories and their questions (django-modeltranslation's
``*_en`` columns): the demo territory reads in English under /en/."""

from __future__ import annotations

from territoire.core.languages import fill_english
from territoire.reports.models import ServiceAttribute, ServiceCategory
from territoire.territory.models import Organisation

ENGLISH = {
    # Categories
    "Nid-de-poule ou chaussée dégradée": "Pothole or damaged road surface",
    "Éclairage public en panne": "Street lighting out of order",
    "Dépôt sauvage de déchets": "Fly-tipping",
    "Tag ou graffiti": "Tag or graffiti",
    "Mobilier urbain dégradé (banc, abribus, barrière)": "Damaged street furniture (bench, bus shelter, barrier)",
    "Espaces verts (branches, tonte, arbre dangereux)": "Green spaces (branches, mowing, dangerous tree)",
    "Signalisation (panneau, marquage au sol)": "Signs (road sign, road markings)",
    "Enlèvement d'encombrants sur rendez-vous": "Bulky waste collection by appointment",
    # Groups
    "Voirie": "Roads",
    "Éclairage": "Lighting",
    "Propreté": "Cleanliness",
    "Espaces verts": "Green spaces",
    # Questions
    "Quelle est sa taille ?": "How big is it?",
    "Présente-t-il un danger immédiat ?": "Is it an immediate danger?",
    "Numéro du candélabre (plaque sur le mât)": "Lamp-post number (plate on the post)",
    "Que constatez-vous ?": "What do you see?",
    "Quel volume ?": "What volume?",
    "Y voyez-vous des plaques pouvant contenir de l'amiante ?": "Do you see sheets that may contain asbestos?",
    "Surface approximative (m²)": "Approximate area (m²)",
    "Le contenu est-il injurieux ?": "Is the content offensive?",
    "Depuis quand ?": "Since when?",
    "Quels objets ?": "Which items?",
}


# The questions' choices (``name_en`` beside ``name`` in each value).
CHOICES = {
    "Moins de 20 cm": "Under 20 cm",
    "20 à 50 cm": "20 to 50 cm",
    "Plus de 50 cm": "Over 50 cm",
    "Oui": "Yes",
    "Non": "No",
    "Éteint": "Off",
    "Clignote": "Flickering",
    "Allumé en journée": "On in daytime",
    "Quelques sacs": "A few bags",
    "Un coffre de voiture": "A car boot",
    "Un camion": "A lorry",
}


def translate(organisation: Organisation) -> int:
    """Fill the English of the demo's categories, groups, questions and their choices; how
    many were filled."""
    filled = fill_english(
        ServiceCategory.objects.filter(organisation=organisation), ("name", "group"), ENGLISH
    ) + fill_english(
        ServiceAttribute.objects.filter(category__organisation=organisation), ("description",), ENGLISH
    )
    for attribute in ServiceAttribute.objects.filter(category__organisation=organisation).exclude(values=[]):
        changed = False
        for value in attribute.values:
            english = CHOICES.get(str(value.get("name"))) if isinstance(value, dict) else None
            if english and not value.get("name_en"):
                value["name_en"] = english
                changed = True
        if changed:
            attribute.save(update_fields=["values"])
            filled += 1
    return filled
