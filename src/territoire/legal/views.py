"""Public pages: legal notice, accessibility statement, privacy, open data.

Each page exists for a territory (``/t/<code>/…``) and without one (``/…``: the site's
default organisation), so that the footer links of every page, error pages included, lead
somewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from territoire.core import modules
from territoire.indicators import selectors as indicator_selectors
from territoire.legal import selectors
from territoire.territory.models import Organisation
from territoire.territory.selectors import default_organisation, organisation_of, scope_by_code

Page = Callable[[HttpRequest, Organisation], HttpResponse]


def _organisation(scope_code: str | None) -> Organisation:
    if scope_code is None:
        organisation = default_organisation()
        if organisation is None:
            raise Http404("no territory on this site yet")
        return organisation
    return organisation_of(scope_by_code(scope_code))


def _page(
    template: str, extra: Callable[[Organisation, selectors.Facts], dict[str, Any]] | None = None
) -> Any:
    def view(request: HttpRequest, scope_code: str | None = None) -> HttpResponse:
        organisation = _organisation(scope_code)
        facts = selectors.facts(organisation)
        context: dict[str, Any] = {"organisation": organisation, "facts": facts, "notice": facts.notice}
        if extra is not None:
            context.update(extra(organisation, facts))
        return render(request, template, context)

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".html").replace("-", "_")
    return view


def _privacy(organisation: Organisation, facts: selectors.Facts) -> dict[str, Any]:
    return {"processings": selectors.processings(facts.notice)}


def _open_data(organisation: Organisation, facts: selectors.Facts) -> dict[str, Any]:
    indicators = list(indicator_selectors.indicators_for(organisation, include_internal=False))
    return {
        "indicators": sorted(indicators, key=lambda d: d.name.casefold()),
        "exports": [export for _module, export in modules.exports()],
    }


legal_notice = _page("legal/legal_notice.html")
accessibility = _page("legal/accessibility.html")
privacy = _page("legal/privacy.html", _privacy)
open_data = _page("legal/open_data.html", _open_data)
