"""Staff page to record one figure by hand (the CSV/XLSX import is in ``imports.py``).

It goes through the same validation as the import and the API (``validate_rows`` then
``record_figures``), restricted to the scopes the member may write. The form asks for the
period the indicator is kept by (a month, a quarter or a year), shows the unit and the
last value.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from territoire.core.http import refuse
from territoire.indicators import wording
from territoire.indicators.models import (
    IndicatorDefinition,
    Measurement,
    MeasurementOrigin,
    Periodicity,
    Source,
)
from territoire.indicators.periods import Period, period_of, previous
from territoire.indicators.services import RowError, record_figures, validate_rows
from territoire.indicators.views.public import resolve_indicator
from territoire.territory import access
from territoire.territory.models import Scope
from territoire.territory.selectors import organisation_of

FIRST_YEAR = 1990


class FigureForm(forms.Form):
    """A figure for one period of the indicator's frequency: a year, and a month or a quarter."""

    year = forms.IntegerField(label=gettext_lazy("Année"), min_value=FIRST_YEAR)
    month = forms.TypedChoiceField(label=gettext_lazy("Mois"), coerce=int)
    quarter = forms.TypedChoiceField(label=gettext_lazy("Trimestre"), coerce=int)
    value = forms.CharField(label=gettext_lazy("Valeur"), max_length=40)
    note = forms.CharField(label=gettext_lazy("Note (facultative)"), max_length=500, required=False)

    def __init__(self, *args: Any, definition: IndicatorDefinition, today: date, **kwargs: Any) -> None:
        self.periodicity = definition.periodicity
        last = previous(period_of(self.periodicity, today), self.periodicity)
        kwargs.setdefault(
            "initial",
            {"year": last.start.year, "month": last.start.month, "quarter": (last.start.month - 1) // 3 + 1},
        )
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.IntegerField)
        year.validators.append(MaxValueValidator(today.year))
        year.widget.attrs.update({"min": FIRST_YEAR, "max": today.year, "inputmode": "numeric"})
        month, quarter = self.fields["month"], self.fields["quarter"]
        assert isinstance(month, forms.TypedChoiceField)
        assert isinstance(quarter, forms.TypedChoiceField)
        month.choices = [(m, formats.date_format(date(2000, m, 1), "F").capitalize()) for m in range(1, 13)]
        quarter.choices = [
            (
                q,
                _("T%(quarter)s (%(first)s à %(last)s)")
                % {
                    "quarter": q,
                    "first": formats.date_format(date(2000, 3 * q - 2, 1), "F"),
                    "last": formats.date_format(date(2000, 3 * q, 1), "F"),
                },
            )
            for q in range(1, 5)
        ]
        if self.periodicity != Periodicity.MONTHLY:
            del self.fields["month"]
        if self.periodicity != Periodicity.QUARTERLY:
            del self.fields["quarter"]
        value = self.fields["value"]
        if definition.unit:
            value.label = _("Valeur (en %(unit)s)") % {"unit": definition.unit}
        value.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        value.help_text = _("Virgule ou point pour les décimales : 61,5.")

    def period(self) -> Period:
        year = self.cleaned_data["year"]
        if self.periodicity == Periodicity.MONTHLY:
            month = self.cleaned_data["month"]
            return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        if self.periodicity == Periodicity.QUARTERLY:
            return period_of(Periodicity.QUARTERLY, date(year, 3 * self.cleaned_data["quarter"] - 2, 1))
        return period_of(Periodicity.YEARLY, date(year, 1, 1))


def _apply_errors(form: forms.Form, errors: list[RowError]) -> None:
    for error in errors:
        field = error.column if error.column in form.fields else None
        form.add_error(field, error.message)


def last_figure(definition: IndicatorDefinition, scope: Scope) -> Measurement | None:
    return (
        Measurement.objects.filter(indicator=definition, scope=scope, is_current=True)
        .order_by("-period_start")
        .first()
    )


@login_required
def record_figure(request: HttpRequest, scope_code: str, code: str) -> HttpResponse:
    # Out of reach (another tenant, an internal figure of another commune): 404.
    scope, definition = resolve_indicator(request, scope_code, code)
    organisation = organisation_of(scope)
    context: dict[str, Any] = {"scope": scope, "organisation": organisation, "definition": definition}
    if not access.is_staff_of(request.user, organisation):
        # Not a member of this organisation: as for another tenant's object, 404.
        raise Http404("not found")
    if definition.source == Source.COMPUTED:
        return refuse(
            request,
            _(
                "« %(name)s » est calculé par le module %(module)s à partir de son activité : il ne se saisit pas à la main."
            )
            % {"name": definition.name, "module": definition.module},
            context=context,
        )
    if not access.can_write_measurement(request.user, scope):
        return refuse(request, refusal(request.user, organisation, scope), context=context)
    today = timezone.localdate()
    form = FigureForm(request.POST or None, definition=definition, today=today)
    if request.method == "POST" and form.is_valid():
        period = form.period()
        row: dict[str, Any] = {
            "indicator": definition.code,
            "scope": scope.code,
            "period_start": period.start,
            "period_end": period.end,
            "value": form.cleaned_data["value"],
            "note": form.cleaned_data["note"],
        }
        clean, errors = validate_rows(
            [(None, row)], may_write=lambda s: access.can_write_measurement(request.user, s)
        )
        if errors:
            _apply_errors(form, errors)
        else:
            summary = record_figures(
                clean, origin=MeasurementOrigin.MANUAL, provenance=f"saisie:{scope.code}", actor=request.user
            )
            messages.success(
                request,
                _(
                    "Correction enregistrée pour %(period)s : l'ancienne valeur reste visible dans l'historique."
                )
                % {"period": wording.period_label(period.start, period.end)}
                if summary.corrected
                else _("Valeur enregistrée pour %(period)s.")
                % {"period": wording.period_label(period.start, period.end)}
                if summary.created
                else _("Valeur inchangée pour %(period)s.")
                % {"period": wording.period_label(period.start, period.end)},
            )
            return redirect(reverse("indicator", args=[scope.code, definition.code]))
    last = last_figure(definition, scope)
    context.update(
        {
            "form": form,
            "last": last,
            "last_period": wording.period_label(last.period_start, last.period_end) if last else "",
        }
    )
    return render(request, "indicators/record.html", context, status=422 if form.errors else 200)


def refusal(user: Any, organisation: Any, scope: Scope | None = None) -> str:
    """Why this member may not record figures here, naming their role(s)."""
    memberships = access.roles_in(user, organisation)
    writers = [m for m in memberships if m.role in access.WRITE_MEASUREMENT_ROLES]
    if writers and scope is not None:
        places = ", ".join(sorted({str(m.commune) if m.commune else str(organisation) for m in writers}))
        return _(
            "Votre rôle vous permet d'enregistrer des valeurs pour %(places)s seulement, pas pour %(scope)s."
        ) % {
            "places": places,
            "scope": scope.name,
        }
    roles = ", ".join(sorted({str(m.get_role_display()) for m in memberships})) or _("aucun")
    return _(
        "Votre rôle (%(roles)s) permet de consulter les indicateurs, pas d'enregistrer des valeurs : "
        "c'est l'affaire des chefs de projet, agents et administrateurs."
    ) % {"roles": roles}
