from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from territoire.territory.models import Commune, Organisation


def page(request: HttpRequest, scope_code: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, siren=scope_code)
    return render(request, "example_module/page.html", {"organisation": organisation})


def communes_csv(request: HttpRequest, scope_code: str) -> HttpResponse:
    codes = Commune.objects.filter(organisation__siren=scope_code).values_list("insee_code", flat=True)
    return HttpResponse("insee_code\n" + "".join(f"{code}\n" for code in codes), content_type="text/csv")
