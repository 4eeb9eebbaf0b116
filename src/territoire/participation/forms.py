"""Forms of the resident pages. They only shape and type the input: every rule (password
strength, eligibility, phases, budgets) is checked again by the services, whose refusals
(``ParticipationError``) are put back on the form with :func:`apply_error`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core.emails import normalise_email
from territoire.participation.errors import ParticipationError
from territoire.participation.models import AgeBand, BudgetCategory, Gender, ProposalStatus, QuestionKind
from territoire.territory.models import Commune, Organisation, Zone

PROFILE_HELP = _(
    "Facultatif. Sert uniquement aux statistiques publiées sous forme agrégée (jamais en "
    "dessous de quelques personnes) et à vérifier les conditions d'une démarche (âge, quartier)."
)


def apply_error(form: forms.Form, error: ParticipationError) -> None:
    """Show a service's refusal on the field it names (or on the whole form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class ZoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.commune.name})"


class ProfileForm(forms.Form):
    """The declared profile: every field optional, each one's use said on the page."""

    commune = forms.ModelChoiceField(
        label=_("Commune de résidence"),
        queryset=Commune.objects.none(),
        required=False,
        empty_label=_("— non précisée —"),
        help_text=_("Facultatif. Sert à vérifier que vous résidez sur le territoire d'une démarche."),
    )
    zone = ZoneChoiceField(
        label=_("Quartier"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=_("— non précisé —"),
        help_text=_(
            "Facultatif. Sert aux démarches réservées à un quartier et au taux de participation par "
            "quartier (publié sans jamais montrer moins de quelques personnes)."
        ),
    )
    birth_year = forms.IntegerField(
        label=_("Année de naissance"),
        required=False,
        min_value=1900,
        help_text=_(
            "Facultatif. Sert à vérifier l'âge minimal d'une démarche et à la tranche d'âge des "
            "statistiques ; votre année n'est jamais publiée."
        ),
    )
    age_band = forms.ChoiceField(
        label=_("Tranche d'âge (si vous ne donnez pas l'année)"),
        choices=[("", _("— non précisée —")), *AgeBand.choices],
        required=False,
        help_text=PROFILE_HELP,
    )
    gender = forms.ChoiceField(
        label=_("Genre"),
        choices=[("", _("— non précisé —")), *Gender.choices],
        required=False,
        help_text=PROFILE_HELP,
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communes: QuerySet[Commune] = Commune.objects.filter(organisation=organisation).order_by("name")
        zones: QuerySet[Zone] = (
            Zone.objects.filter(commune__organisation=organisation).select_related("commune").order_by("name")
        )
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]
        self.fields["zone"].queryset = zones  # type: ignore[attr-defined]
        this_year = timezone.localdate().year
        self.fields["birth_year"].validators.append(MaxValueValidator(this_year))
        self.fields["birth_year"].widget.attrs["max"] = this_year

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "commune": data.get("commune"),
            "zone": data.get("zone"),
            "birth_year": data.get("birth_year"),
            "age_band": data.get("age_band") or "",
            "gender": data.get("gender") or "",
        }


class NormalisedEmailField(forms.CharField):
    """An address in its normal form (``core.emails.normalise_email``), or a clear error."""

    widget = forms.EmailInput

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value) or "")
        return normalise_email(text) if text else text


class SignUpForm(ProfileForm):
    email = NormalisedEmailField(
        label=_("Adresse électronique"),
        max_length=150,
        help_text=_("Sert à vous connecter et à confirmer votre compte. Jamais publiée."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        help_text=_("Au moins 12 caractères ; évitez les mots de passe courants."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Mot de passe (confirmation)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = [
        "email",
        "password",
        "password_confirm",
        "commune",
        "zone",
        "birth_year",
        "age_band",
        "gender",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", _("Les deux mots de passe ne sont pas identiques."))
        return data


class LoginForm(forms.Form):
    email = NormalisedEmailField(
        label=_("Adresse électronique"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CensusForm(forms.Form):
    commune = forms.ModelChoiceField(label=_("Commune"), queryset=Commune.objects.none())
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")


class AbuseReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du signalement"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Dites en quelques mots ce qui pose problème (propos injurieux, données personnelles…)."),
    )


class ResponseForm(forms.Form):
    """One field per question (``q<id>``); a ranking question has one number input per
    option (``q<id>_<option id>``), gathered back into an ordered list of option ids."""

    def __init__(self, *args: Any, questions: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.rankings: dict[str, list[tuple[str, str]]] = {}
        for question in self.questions:
            name = f"q{question.pk}"
            options = [(str(o.pk), o.label) for o in question.options.all()]
            common: dict[str, Any] = {
                "label": question.text,
                "required": question.required,
                "help_text": question.help_text,
            }
            if question.kind == QuestionKind.SINGLE:
                self.fields[name] = forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
            elif question.kind == QuestionKind.MULTIPLE:
                help_text = question.help_text
                if question.max_choices:
                    limit = _("Au plus %(n)s choix.") % {"n": question.max_choices}
                    help_text = f"{help_text} {limit}".strip()
                common["help_text"] = help_text
                self.fields[name] = forms.MultipleChoiceField(
                    choices=options, widget=forms.CheckboxSelectMultiple, **common
                )
            elif question.kind == QuestionKind.SCALE:
                low, high = int(question.scale_min or 0), int(question.scale_max or 0)
                choices = []
                for value in range(low, high + 1):
                    label = str(value)
                    if value == low and question.scale_min_label:
                        label = f"{value} — {question.scale_min_label}"
                    elif value == high and question.scale_max_label:
                        label = f"{value} — {question.scale_max_label}"
                    choices.append((str(value), label))
                self.fields[name] = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
            elif question.kind == QuestionKind.RANKING:
                self.rankings[name] = options
                for option_id, label in options:
                    self.fields[f"{name}_{option_id}"] = forms.IntegerField(
                        label=label,
                        required=False,
                        min_value=1,
                        max_value=len(options),
                        widget=forms.NumberInput(attrs={"class": "rank"}),
                    )
            else:
                self.fields[name] = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}), max_length=5000, **common
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for question in self.questions:
            name = f"q{question.pk}"
            if name not in self.rankings:
                continue
            ranks = {oid: data.get(f"{name}_{oid}") for oid, _label in self.rankings[name]}
            given = [r for r in ranks.values() if r is not None]
            if not given:
                if question.required:
                    self.add_error(None, _("Classez les options de « %(q)s ».") % {"q": question.text})
                data[name] = []
                continue
            if len(given) != len(ranks) or sorted(given) != list(range(1, len(ranks) + 1)):
                self.add_error(
                    None,
                    _("« %(q)s » : donnez à chaque option un rang différent, de 1 à %(n)s.")
                    % {"q": question.text, "n": len(ranks)},
                )
                continue
            data[name] = [oid for oid, _rank in sorted(ranks.items(), key=lambda item: item[1] or 0)]
        return data

    def answers(self) -> dict[str, Any]:
        """question id → value, as ``services.consultations.submit_response`` takes them."""
        return {str(q.pk): self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def ranking_fields(self, question: Any) -> list[forms.BoundField]:
        return [self[f"q{question.pk}_{oid}"] for oid, _label in self.rankings.get(f"q{question.pk}", [])]

    @staticmethod
    def initial_from(previous: dict[str, Any], questions: Sequence[Any]) -> dict[str, Any]:
        """Initial values showing a participant's previous answers (``selectors.my_response``)."""
        initial: dict[str, Any] = {}
        for question in questions:
            value = previous.get(str(question.pk))
            if value is None:
                continue
            name = f"q{question.pk}"
            if question.kind == QuestionKind.RANKING:
                for rank, option_id in enumerate(value, start=1):
                    initial[f"{name}_{option_id}"] = rank
            elif question.kind == QuestionKind.SCALE:
                initial[name] = str(value)
            else:
                initial[name] = value
        return initial


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Titre du projet"), max_length=300)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce que le projet changerait, où, pour qui. Sera publié avec le titre (sans votre nom)."),
    )
    zone = ZoneChoiceField(
        label=_("Quartier concerné"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=_("— tout le territoire —"),
        help_text=_(
            "Le projet est rattaché à l'enveloppe de ce quartier s'il en a une, sinon à l'enveloppe globale."
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        queryset=BudgetCategory.objects.none(),
        required=False,
        empty_label=_("— aucune —"),
    )

    def __init__(self, *args: Any, budget: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = Zone.objects.filter(commune__organisation_id=budget.organisation_id).select_related("commune")
        if budget.commune_id is not None:
            zones = zones.filter(commune_id=budget.commune_id)
        self.fields["zone"].queryset = zones.order_by("name")  # type: ignore[attr-defined]
        self.fields["category"].queryset = budget.categories.all()  # type: ignore[attr-defined]
        if not budget.categories.exists():
            del self.fields["category"]


class ProposalFilterForm(forms.Form):
    """Filters of the proposals list (GET). Unknown values are ignored, not errors."""

    zone = forms.ChoiceField(label=_("Quartier"), required=False)
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    status = forms.ChoiceField(label=_("Statut"), required=False)

    def __init__(self, *args: Any, zones: Sequence[Any], categories: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [("", _("Tous"))] + [(str(z.pk), z.name) for z in zones]  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", _("Toutes"))] + [  # type: ignore[attr-defined]
            (c.code, c.name) for c in categories
        ]
        self.fields["status"].choices = [("", _("Tous")), *ProposalStatus.choices]  # type: ignore[attr-defined]
        if not categories:
            del self.fields["category"]
        if not zones:
            del self.fields["zone"]
