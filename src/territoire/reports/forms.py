"""Forms of the reports pages: the residents' form, the list filters, the staff actions.

The forms check the shape of the input (a choice among the organisation's categories, a
photo that ``core.uploads.sanitise_image`` accepts); the content of a submission is
validated by the services (``validate_submission``, ``change_status``…), whose
``FieldError``s are put back next to the right field with ``apply_report_errors``.

Accessibility: every field with an error gets ``aria-invalid`` and ``aria-describedby``
pointing at its message (and help text); ``error_links`` feeds the error summary at the
top of the page, one link per error to its field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from territoire.core.uploads import SanitisedImage, UploadError, sanitise_image
from territoire.reports.models import (
    DESCRIPTION_MAX_LENGTH,
    AttributeDatatype,
    Crew,
    ReportStatus,
    ServiceAttribute,
    ServiceCategory,
)
from territoire.reports.selectors import MergeCandidate
from territoire.reports.services import FieldError
from territoire.reports.services.references import normalise_reference
from territoire.territory.models import Zone

# A photo sanitised at the first step waits here for the confirmation step.
PENDING_PHOTO_SECONDS = 3600
_PHOTO_REF = re.compile(r"^[A-Za-z0-9_-]{43}$")
LOCATION_ANCHOR = "location"


class AccessibleForm(forms.Form):
    """A form whose invalid fields point at their error message (``aria-describedby``)."""

    # Errors of these (hidden) fields are shown with the fieldset ``LOCATION_ANCHOR``.
    location_fields: tuple[str, ...] = ()

    def full_clean(self) -> None:
        super().full_clean()
        self.annotate_errors()

    def annotate_errors(self) -> None:
        location_error = any(name in self.errors for name in self.location_fields)
        for name, field in self.fields.items():
            bound = self[name]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}_helptext")
            if name in self.errors:
                described.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if location_error and name in self.location_companions():
                described.append(f"{LOCATION_ANCHOR}_error")
            if described and not isinstance(
                field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.HiddenInput
            ):
                field.widget.attrs["aria-describedby"] = " ".join(described)

    def location_companions(self) -> tuple[str, ...]:
        return ()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.annotate_errors()

    @property
    def error_links(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) of every error, in the order of the fields."""
        links: list[tuple[str, str, str]] = [("", "", str(message)) for message in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                bound = self[name]
                if name in self.location_fields:
                    links.append((LOCATION_ANCHOR, gettext("Lieu"), str(message)))
                elif isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                    links.append((f"{bound.auto_id}_0", str(field.label), str(message)))
                else:
                    links.append((bound.auto_id or name, str(field.label), str(message)))
        return links

    @property
    def location_errors(self) -> list[str]:
        return [str(m) for name in self.location_fields for m in self.errors.get(name, [])]


# The services' errors, worded for a person on the residents' form (the Open311 API keeps
# the services' messages, which name its parameters: "lat et long", "jurisdiction_id"…).
PERSON_MESSAGES = {
    "no_location": _("Placez le repère sur la carte ou indiquez une adresse."),
    "commune_needed": _(
        "Choisissez le quartier, ou placez le repère sur la carte : l'adresse seule ne dit pas "
        "dans quelle commune se trouve le problème."
    ),
    "bad_point": _(
        "Le repère de la carte n'a pas pu être lu : placez-le à nouveau, ou indiquez une adresse."
    ),
    "unknown_commune": _("Ce quartier n'existe pas : choisissez-en un dans la liste."),
    "no_category": _("Choisissez la catégorie du problème."),
    "datetime": _("Indiquez la date et l'heure, par exemple 2026-05-01 08:30."),
}


def for_person(errors: Iterable[FieldError]) -> list[FieldError]:
    """The services' errors with the wording of ``PERSON_MESSAGES`` where there is one."""
    return [
        replace(error, message=str(PERSON_MESSAGES[error.reason]))
        if error.reason in PERSON_MESSAGES
        else error
        for error in errors
    ]


def apply_report_errors(form: forms.Form, errors: Iterable[FieldError], mapping: dict[str, str]) -> None:
    """Put the services' errors next to the form's fields (unknown ones at the top)."""
    for error in errors:
        name = mapping.get(error.field, error.field)
        form.add_error(name if name in form.fields else None, error.message)


# --------------------------------------------------------------------------- pending photos


@dataclass(frozen=True)
class PendingPhoto:
    reference: str
    image: SanitisedImage


def keep_pending_photo(image: SanitisedImage) -> str:
    """Keep a sanitised photo for the confirmation step; return its reference.

    The reference is 256 random bits carried in a hidden field; the bytes (already
    re-encoded, no metadata) stay in the default cache for an hour, which production
    shares between workers (it holds the rate limits too).
    """
    reference = secrets.token_urlsafe(32)
    cache.set(f"reports:pending-photo:{reference}", image, PENDING_PHOTO_SECONDS)
    return reference


def pending_photo(reference: str) -> SanitisedImage | None:
    if not _PHOTO_REF.fullmatch(reference or ""):
        return None
    image = cache.get(f"reports:pending-photo:{reference}")
    return image if isinstance(image, SanitisedImage) else None


def forget_pending_photo(reference: str) -> None:
    if _PHOTO_REF.fullmatch(reference or ""):
        cache.delete(f"reports:pending-photo:{reference}")


# --------------------------------------------------------------------------- residents


def zone_choices(zones: Iterable[Zone]) -> list[tuple[Any, Any]]:
    """Zones grouped by commune (``<optgroup>``), as the select of districts."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in zones:
        groups.setdefault(zone.commune.name, []).append((str(zone.pk), zone.name))
    choices: list[tuple[Any, Any]] = [("", gettext("— choisir —"))]
    if len(groups) == 1:
        choices += next(iter(groups.values()))
    else:
        choices += list(groups.items())
    return choices


class ReportForm(AccessibleForm):
    """A resident's report. Field names are the page's; ``submission()`` gives Open311's."""

    location_fields = ("lat", "long")

    category = forms.ModelChoiceField(
        label=_("Catégorie du problème"),
        queryset=ServiceCategory.objects.none(),
        to_field_name="service_code",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choisissez la catégorie du problème."),
            "invalid_choice": _("Cette catégorie n'existe pas : choisissez-en une dans la liste."),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": DESCRIPTION_MAX_LENGTH}),
        help_text=_("Ce que vous avez constaté, en 4 000 caractères au plus."),
        strip=True,
        error_messages={"required": _("Décrivez le problème en quelques mots.")},
    )
    lat = forms.CharField(widget=forms.HiddenInput, required=False)
    long = forms.CharField(widget=forms.HiddenInput, required=False)
    address = forms.CharField(
        label=_("Adresse ou lieu-dit"),
        required=False,
        help_text=_("Par exemple : 12 rue des Écoles, ou « devant la mairie »."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    # The BAN address chosen among the suggestions (with or without JavaScript).
    address_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    zone = forms.TypedChoiceField(
        label=_("Quartier"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Ce quartier n'existe pas : choisissez-en un dans la liste.")},
    )
    photo = forms.FileField(
        label=_("Photo (facultative)"),
        required=False,
        help_text=_(
            "JPEG, PNG ou WebP. Les données cachées de la photo (position GPS, appareil) sont supprimées."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    photo_ref = forms.CharField(widget=forms.HiddenInput, required=False)
    email = forms.CharField(
        label=_("Votre e-mail (facultatif)"),
        required=False,
        help_text=_("Pour être prévenu de l'avancement. Il n'est jamais publié."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(
        self, *args: Any, categories: QuerySet[ServiceCategory], zones: Iterable[Zone], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zones = {zone.pk: zone for zone in zones}
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ModelChoiceField)
        category_field.queryset = categories
        zone_field = self.fields["zone"]
        assert isinstance(zone_field, forms.TypedChoiceField)
        zone_field.choices = zone_choices(self.zones.values())
        zone_field.help_text = _("Si vous n'avez pas choisi le lieu sur la carte.")
        self.photo_image: SanitisedImage | None = None
        # The extra questions of every category (Open311 attributes); only the chosen
        # category's answers are sent, and the service checks them.
        self.attribute_groups: list[tuple[ServiceCategory, list[str]]] = []
        for category in categories:
            names = []
            for attribute in category.attributes.all():
                if not attribute.variable:
                    continue
                name = attribute_field_name(category.service_code, attribute.code)
                self.fields[name] = attribute_field(attribute)
                names.append(name)
            if names:
                self.attribute_groups.append((category, names))

    def location_companions(self) -> tuple[str, ...]:
        return ("address", "zone")

    def clean_description(self) -> str:
        text: str = self.cleaned_data["description"]
        if len(text) > DESCRIPTION_MAX_LENGTH:
            raise forms.ValidationError(
                gettext("La description compte %(n)s caractères ; %(max)s au plus.")
                % {"n": len(text), "max": DESCRIPTION_MAX_LENGTH}
            )
        return text

    def clean_zone(self) -> Zone | None:
        value = self.cleaned_data.get("zone")
        if value is None:
            return None
        zone = self.zones.get(value)
        if zone is None:
            raise forms.ValidationError(gettext("Ce quartier n'existe pas : choisissez-en un dans la liste."))
        return zone

    def clean_photo(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            self.photo_image = sanitise_image(upload)
        except UploadError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reference = cleaned.get("photo_ref") or ""
        if self.photo_image is None and reference and "photo" not in self.errors:
            self.photo_image = pending_photo(reference)
            if self.photo_image is None:
                self.add_error(
                    "photo",
                    gettext(
                        "La photo jointe n'est plus disponible (plus d'une heure) : joignez-la à nouveau."
                    ),
                )
        return cleaned

    @property
    def question_groups(self) -> list[tuple[ServiceCategory, list[forms.BoundField]]]:
        return [(category, [self[name] for name in names]) for category, names in self.attribute_groups]

    def chosen_attributes(self) -> dict[str, Any]:
        """The chosen category's answers, by attribute code (empty answers left out)."""
        category = self.cleaned_data.get("category")
        if any(name.startswith("attr__") for name in self.errors):
            return {}
        if category is None:
            return {}
        prefix = attribute_field_name(category.service_code, "")
        answers: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(prefix) and value not in ("", None, []):
                answers[name[len(prefix) :]] = value
        return answers

    def attribute_errors_mapping(self) -> dict[str, str]:
        cleaned: dict[str, Any] = getattr(self, "cleaned_data", None) or {}
        category = cleaned.get("category")
        if category is None:
            return {}
        return {
            f"attribute[{name.split('__', 2)[2]}]": name
            for name in self.fields
            if name.startswith(attribute_field_name(category.service_code, ""))
        }

    def submission(self) -> tuple[dict[str, Any], str]:
        """The Open311-named data for the services, and the commune's INSEE code if needed.

        After a failed ``is_valid()`` it holds the fields that were valid, so that the
        services can still report on the others.
        """
        data = self.cleaned_data
        category = data.get("category")
        zone: Zone | None = data.get("zone")
        has_point = bool(data.get("lat") or data.get("long"))
        submission = {
            "service_code": category.service_code if category else "",
            "description": data.get("description", ""),
            "lat": data.get("lat", ""),
            "long": data.get("long", ""),
            "address_string": data.get("address", ""),
            "address_id": data.get("address_id", ""),
            "email": data.get("email", ""),
            "attribute": self.chosen_attributes(),
        }
        # Without a point, the district chosen in the list says which commune it is.
        jurisdiction = zone.commune.insee_code if zone is not None and not has_point else ""
        return submission, jurisdiction


def attribute_field_name(service_code: str, code: str) -> str:
    return f"attr__{service_code}__{code}"


def attribute_field(attribute: ServiceAttribute) -> forms.Field:
    """A form field for an Open311 attribute; the service validates the value.

    The field is optional for the form (only the chosen category's questions count) but a
    required question says so in its label, and to assistive technologies.
    """
    field = _attribute_field(attribute)
    if attribute.required:
        field.label = gettext("%(question)s (obligatoire)") % {"question": attribute.description}
        if not isinstance(field.widget, forms.CheckboxSelectMultiple):  # not allowed on a checkbox
            field.widget.attrs["aria-required"] = "true"
    return field


def _attribute_field(attribute: ServiceAttribute) -> forms.Field:
    label = attribute.description
    help_text = attribute.datatype_description
    choices = [(str(v.get("key")), attribute.value_name(v)) for v in attribute.values if isinstance(v, dict)]
    kind = attribute.datatype
    if kind == AttributeDatatype.SINGLEVALUELIST:
        return forms.ChoiceField(
            label=label, help_text=help_text, required=False, choices=[("", "—"), *choices]
        )
    if kind == AttributeDatatype.MULTIVALUELIST:
        return forms.MultipleChoiceField(
            label=label,
            help_text=help_text,
            required=False,
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
        )
    if kind == AttributeDatatype.TEXT:
        return forms.CharField(
            label=label, help_text=help_text, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if kind == AttributeDatatype.NUMBER:
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        )
    if kind == AttributeDatatype.DATETIME:
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        )
    return forms.CharField(label=label, help_text=help_text, required=False)


# Service field (Open311 name) -> field of ReportForm.
REPORT_FIELDS = {
    "service_code": "category",
    "description": "description",
    "lat": "lat",
    "long": "long",
    "address_string": "address",
    "address_id": "address",
    "jurisdiction_id": "zone",
    "email": "email",
}


class FilterForm(forms.Form):
    """Filters of the public list and of the staff queue (GET; every field optional)."""

    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    status = forms.ChoiceField(label=_("Statut"), required=False)
    zone = forms.ChoiceField(label=_("Quartier"), required=False)

    def __init__(
        self,
        *args: Any,
        categories: Iterable[ServiceCategory],
        statuses: Iterable[ReportStatus],
        zones: Iterable[Zone],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", gettext("Toutes"))
        self.fields["category"].choices = [everything] + [(c.service_code, c.name) for c in categories]  # type: ignore[attr-defined]
        self.fields["status"].choices = [everything] + [(s.code, s.label) for s in statuses]  # type: ignore[attr-defined]
        zones = list(zones)
        self.fields["zone"].choices = [("", gettext("Tous"))] + [  # type: ignore[attr-defined]
            (str(z.pk), _zone_label(z, zones)) for z in zones
        ]

    def value(self, name: str) -> str:
        if not self.is_valid():
            return ""
        return str(self.cleaned_data.get(name) or "")


def _zone_label(zone: Zone, zones: Iterable[Zone]) -> str:
    several = len({z.commune_id for z in zones}) > 1
    return f"{zone.commune.name} — {zone.name}" if several else zone.name


# The queue's state filter: open reports by default (an empty value, as a link without a
# filter), "all" for every report, "closed", or one of the organisation's statuses.
ALL_STATES = "all"


class StaffFilterForm(FilterForm):
    reference = forms.CharField(
        label=_("Référence"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "VAL-2026-00123", "size": 16}),
    )
    team = forms.ChoiceField(label=_("Service"), required=False)
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)

    def __init__(self, *args: Any, teams: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", gettext("Tous"))] + [(t, t) for t in teams]  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Ouverts")),
            (ALL_STATES, gettext("Tous")),
            ("closed", gettext("Clos")),
            *list(self.fields["status"].choices)[1:],  # type: ignore[attr-defined]
        ]
        self.order_fields(["reference", "team", "zone", "category", "status", "overdue"])

    def clean_reference(self) -> str | None:
        text = (self.cleaned_data.get("reference") or "").strip()
        if not text:
            return None
        reference = normalise_reference(text)
        if reference is None:
            raise forms.ValidationError(
                gettext("Une référence s'écrit comme VAL-2026-00123 (lettres, année, numéro).")
            )
        return reference


# --------------------------------------------------------------------------- staff actions


class StatusForm(AccessibleForm):
    status = forms.ModelChoiceField(
        label=_("Nouveau statut"),
        queryset=ReportStatus.objects.none(),
        to_field_name="code",
        empty_label=None,
    )
    answer = forms.CharField(
        label=_("Réponse publique"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire pour clore ou rejeter : elle est publiée et envoyée au demandeur."),
    )

    def __init__(self, *args: Any, statuses: QuerySet[ReportStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = statuses


class AnswerForm(AccessibleForm):
    text = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Le message est vide.")},
    )
    # An internal note unless staff choose otherwise: a public answer is published and
    # e-mailed to the reporter, so it must be a deliberate choice.
    public = forms.TypedChoiceField(
        label=_("Visibilité"),
        choices=[
            ("0", _("Note interne (visible des agents seulement)")),
            ("1", _("Réponse publique (publiée et envoyée au demandeur)")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="0",
        required=False,  # nothing chosen: a note (the view takes bool() of the value)
    )


class AssignForm(AccessibleForm):
    crew = forms.ModelChoiceField(
        label=_("Équipe"), queryset=Crew.objects.none(), required=False, empty_label=_("— aucune —")
    )

    def __init__(self, *args: Any, crews: QuerySet[Crew], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["crew"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = crews


class MergeForm(AccessibleForm):
    """Choose, among the nearby open reports of the same commune, the one to keep."""

    target = forms.ChoiceField(
        label=_("Signalement conservé"),
        help_text=_(
            "Ce signalement-ci sera clos comme doublon de celui choisi ; ses soutiens y sont reportés."
        ),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez le signalement conservé dans la liste."),
            "invalid_choice": _(
                "Ce signalement n'est pas dans la liste : choisissez-en un parmi les proches."
            ),
        },
    )
    answer = forms.CharField(
        label=_("Réponse publique (facultative)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, candidates: Iterable[MergeCandidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(c.report.public_id), candidate_label(c)) for c in candidates]


def candidate_label(candidate: MergeCandidate) -> str:
    """What staff need to recognise the same problem: reference, category, distance, age."""
    report = candidate.report
    days = max((timezone.now() - report.requested_at).days, 0)
    age = ngettext("déposé il y a %(n)s jour", "déposé il y a %(n)s jours", days) % {"n": days}
    if days == 0:
        age = gettext("déposé aujourd'hui")
    parts = [report.reference or str(report.public_id), report.category.name]
    if candidate.distance_m is not None:
        parts.append(gettext("à %(m)s m") % {"m": round(candidate.distance_m)})
    parts += [age, report.status.label]
    text = " — ".join(parts)
    if report.description:
        text += f" : « {Truncator(report.description).chars(80)} »"
    return text


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        """The category with its technical service, which follows it."""
        return f"{obj.name} ({obj.team})" if obj.team else str(obj.name)


class CategoryForm(AccessibleForm):
    category = CategoryChoiceField(
        label=_("Nouvelle catégorie"),
        queryset=ServiceCategory.objects.none(),
        to_field_name="service_code",
        empty_label=None,
        error_messages={
            "invalid_choice": _("Cette catégorie n'existe pas : choisissez-en une dans la liste.")
        },
    )

    def __init__(self, *args: Any, categories: QuerySet[ServiceCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = categories


class ReasonForm(AccessibleForm):
    reason = forms.CharField(
        label=_("Motif"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Le motif est obligatoire.")},
    )


class RoundForm(AccessibleForm):
    crew = forms.ModelChoiceField(
        label=_("Équipe"),
        queryset=Crew.objects.none(),
        empty_label=None,
        error_messages={"required": _("Choisissez une équipe."), "invalid_choice": _("Équipe inconnue.")},
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Indiquez la date."), "invalid": _("Date invalide (AAAA-MM-JJ).")},
    )

    def __init__(self, *args: Any, crews: QuerySet[Crew], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["crew"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = crews
