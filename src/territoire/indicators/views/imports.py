"""Staff import of figures (CSV or XLSX): upload, preview, confirm; and the template file.

1. The upload is read and validated as the command-line import and the API are
   (``validate_rows``); errors are listed with their line and column, nothing is kept.
2. A valid file is kept server-side for the person who sent it (``PendingImport``) and
   the page shows what it would change: figures added, corrected from X to Y, unchanged.
3. The confirmation applies it, all or nothing, unless the figures changed in between:
   then the page shows the new preview and asks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from territoire.core.csvwriter import SafeWriter
from territoire.core.http import refuse
from territoire.indicators import selectors
from territoire.indicators.models import Aggregate, Source
from territoire.indicators.periods import period_of, previous
from territoire.indicators.services import imports
from territoire.indicators.services.validation import CSV_COLUMNS, RowError
from territoire.indicators.views.staff import refusal
from territoire.territory import access
from territoire.territory.models import Organisation, Scope
from territoire.territory.selectors import organisation_of, scope_by_code

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TEMPLATE_COLUMNS = (*CSV_COLUMNS, "note", "indicator_name", "scope_name", "unit")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV ou XLSX"),
        help_text=gettext_lazy(
            "Colonnes : indicator, scope, period_start, period_end, value, note (facultative). "
            "Dates au format JJ/MM/AAAA ; virgule décimale acceptée."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


def _organisation_for_import(request: HttpRequest, scope_code: str) -> tuple[Scope, Organisation]:
    scope = scope_by_code(scope_code)
    organisation: Organisation = organisation_of(scope)
    if not access.is_staff_of(request.user, organisation):
        # Another tenant's page, or a visitor: as an unknown one.
        raise Http404("not found")
    return scope, organisation


def _rights(request: HttpRequest, organisation: Organisation) -> dict[str, Any]:
    return {
        "may_write": lambda s: access.can_write_measurement(request.user, s),
        # A scope of the member's own organisation is known to them: a refusal says so.
        "may_see": lambda s: s.owning_organisation_id == organisation.pk,
    }


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "indicators/import.html", context, status=status)


@login_required
def import_figures(request: HttpRequest, scope_code: str) -> HttpResponse:
    scope, organisation = _organisation_for_import(request, scope_code)
    context: dict[str, Any] = {"scope": scope, "organisation": organisation}
    if not access.can_write_any_measurement(request.user, organisation):
        return refuse(request, refusal(request.user, organisation), context=context)
    form = UploadForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        return _page(request, context, 422 if form.errors else 200)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        context["errors"] = [RowError(None, "file", _("Fichier trop volumineux (5 Mo au plus)."))]
        return _page(request, context, 422)
    content = upload.read()
    filename = upload.name or "import"
    clean, errors = imports.check_file(content, filename, **_rights(request, organisation))
    if errors:
        context["errors"] = errors
        return _page(request, context, 422)
    preview = imports.preview_rows(clean)
    pending = imports.stage(
        user=request.user,
        organisation=organisation,
        filename=filename,
        content=content,
        fingerprint=preview.fingerprint,
    )
    context.update({"preview": preview, "pending": pending, "listed": imports.PREVIEW_LISTED})
    return _page(request, context)


@require_POST
@login_required
def confirm_import(request: HttpRequest, scope_code: str, pending_id: UUID) -> HttpResponse:
    scope, organisation = _organisation_for_import(request, scope_code)
    context: dict[str, Any] = {"scope": scope, "organisation": organisation, "form": UploadForm()}
    pending = imports.pending_for(request.user, organisation, pending_id)
    if pending is None:
        # Another person's file, or one already applied, cancelled or expired.
        context["errors"] = [
            RowError(
                None,
                "",
                _(
                    "Cet aperçu n'est plus disponible (déjà appliqué, annulé ou expiré) : envoyez le fichier à nouveau."
                ),
            )
        ]
        return _page(request, context, 410)
    if request.POST.get("cancel"):
        imports.discard(pending)
        messages.info(request, _("Import annulé : rien n'a été enregistré."))
        return redirect(reverse("import-figures", args=[scope.code]))
    if not access.can_write_any_measurement(request.user, organisation):
        imports.discard(pending)
        return refuse(request, refusal(request.user, organisation), context=context)
    content = bytes(pending.content)
    clean, errors = imports.check_file(content, pending.filename, **_rights(request, organisation))
    if errors:
        imports.discard(pending)
        context["errors"] = errors
        return _page(request, context, 422)
    try:
        summary = imports.apply_import(
            clean, fingerprint=pending.fingerprint, actor=request.user, source_name=pending.filename
        )
    except imports.StalePreviewError as stale:
        imports.restage(pending, stale.preview.fingerprint)
        context.update(
            {"preview": stale.preview, "pending": pending, "listed": imports.PREVIEW_LISTED, "stale": True}
        )
        return _page(request, context, 409)
    imports.discard(pending)
    messages.success(
        request,
        _(
            "Import appliqué : %(created)s valeur(s) ajoutée(s), %(corrected)s corrigée(s), %(unchanged)s inchangée(s)."
        )
        % {"created": summary.created, "corrected": summary.corrected, "unchanged": summary.unchanged},
    )
    return redirect(reverse("import-figures", args=[scope.code]))


@login_required
def import_template(request: HttpRequest, scope_code: str) -> HttpResponse | StreamingHttpResponse:
    """A CSV to fill in: one line per figure this person may record for the last period.

    Semicolons and a byte order mark, so that a French spreadsheet opens it in columns;
    the import reads it back as it is (the name, scope name and unit columns are ignored).
    """
    _scope, organisation = _organisation_for_import(request, scope_code)
    if not access.can_write_any_measurement(request.user, organisation):
        return refuse(request, refusal(request.user, organisation), context={"organisation": organisation})
    today = timezone.localdate()
    scopes = [
        s
        for s in access.internal_scopes(request.user, organisation).select_related("organisation", "commune")
        if access.can_write_measurement(request.user, s)
    ]
    scopes.sort(key=lambda s: (s.commune_id is not None, s.code))
    definitions = selectors.indicators_for(organisation, include_internal=True).exclude(
        source=Source.COMPUTED
    )

    def lines() -> Iterator[object]:
        writer = SafeWriter(delimiter=";")
        yield "\ufeff" + str(writer.writerow(TEMPLATE_COLUMNS))
        for definition in definitions.order_by("code"):
            period = previous(period_of(definition.periodicity, today), definition.periodicity)
            # Figures measured by the organisation itself, or by each commune (aggregated).
            wanted = [s for s in scopes if (s.commune_id is None) == (definition.aggregate == Aggregate.NONE)]
            for s in wanted:
                yield writer.writerow(
                    [
                        definition.code,
                        s.code,
                        period.start.strftime("%d/%m/%Y"),
                        period.end.strftime("%d/%m/%Y"),
                        "",
                        "",
                        definition.name,
                        s.name,
                        definition.unit,
                    ]
                )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="modele-import-{organisation.siren}.csv"'
    return response
