"""Staff pages to record figures: one figure by hand, or a CSV file.

Both go through the same validation as the command-line import and the API
(``validate_rows`` then ``record_figures``), restricted to the scopes the member may write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from territoire.indicators.models import MeasurementOrigin, Source
from territoire.indicators.services import (
    MeasurementInputError,
    RowError,
    import_csv,
    record_figures,
    validate_rows,
)
from territoire.indicators.views.public import resolve_indicator
from territoire.territory import access
from territoire.territory.models import Organisation
from territoire.territory.selectors import organisation_of, scope_by_code

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class FigureForm(forms.Form):
    period_start = forms.DateField(
        label=gettext_lazy("Début de période"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Fin de période"), widget=forms.DateInput(attrs={"type": "date"})
    )
    value = forms.CharField(label=gettext_lazy("Valeur"), max_length=40)
    note = forms.CharField(label=gettext_lazy("Note (facultative)"), max_length=500, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV"),
        help_text=gettext_lazy(
            "Colonnes : indicator, scope, period_start, period_end, value, note (facultative)."
        ),
    )


def _apply_errors(form: forms.Form, errors: list[RowError]) -> None:
    for error in errors:
        field = error.column if error.column in form.fields else None
        form.add_error(field, error.message)


@login_required
def record_figure(request: HttpRequest, scope_code: str, code: str) -> HttpResponse:
    scope, definition = resolve_indicator(request, scope_code, code)
    if not access.can_write_measurement(request.user, scope):
        raise Http404("not found")
    if definition.source == Source.COMPUTED:
        raise Http404("computed indicators are recorded by their module")
    form = FigureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row: dict[str, Any] = {"indicator": definition.code, "scope": scope.code, **form.cleaned_data}
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
                _("Correction enregistrée : l'ancienne valeur reste visible dans l'historique.")
                if summary.corrected
                else _("Valeur enregistrée."),
            )
            return redirect(reverse("indicator", args=[scope.code, definition.code]))
    context = {"scope": scope, "organisation": organisation_of(scope), "definition": definition, "form": form}
    return render(request, "indicators/record.html", context, status=422 if form.errors else 200)


@login_required
def import_figures(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope = scope_by_code(scope_code)
    organisation: Organisation = organisation_of(scope)
    if not access.is_staff_of(request.user, organisation):
        raise Http404("not found")
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[RowError] = []
    summary = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            errors = [RowError(None, "file", _("Fichier trop volumineux (5 Mo au plus)."))]
        else:
            try:
                summary = import_csv(
                    upload.read(),
                    actor=request.user,
                    source_name=upload.name or "CSV",
                    may_write=lambda s: access.can_write_measurement(request.user, s),
                )
            except MeasurementInputError as exc:
                errors = exc.errors
    context = {
        "scope": scope,
        "organisation": organisation,
        "form": form,
        "errors": errors,
        "summary": summary,
    }
    return render(request, "indicators/import.html", context, status=422 if errors else 200)
