"""Read-only API of the territory: organisations, communes, zones (public data)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from territoire.api.common import optional_token
from territoire.core.api import ErrorOut, Page, not_found, paginate
from territoire.territory.models import Commune, Organisation, Zone

router = Router(tags=["territory"])


class OrganisationOut(Schema):
    siren: str
    name: str
    kind: str
    slug: str
    population: int


class CommuneOut(Schema):
    insee_code: str
    name: str
    population: int
    postcodes: list[str]
    organisation: str | None

    @staticmethod
    def resolve_organisation(obj: Commune) -> str | None:
        return obj.organisation.siren if obj.organisation else None


class ZoneOut(Schema):
    code: str
    name: str
    commune: str
    population: int | None
    geometry: dict[str, Any]

    @staticmethod
    def resolve_commune(obj: Zone) -> str:
        return obj.commune.insee_code


class CommuneFilters(Schema):
    organisation: str | None = None
    page: int = 1
    page_size: int = 100


class ZoneFilters(Schema):
    commune: str | None = None
    page: int = 1
    page_size: int = 100


def _organisation_out(org: Organisation, population: int) -> OrganisationOut:
    return OrganisationOut(
        siren=org.siren, name=org.name, kind=org.kind, slug=org.slug, population=population
    )


@router.get("/organisations", response={200: list[OrganisationOut], 401: ErrorOut})
def list_organisations(request: HttpRequest) -> list[OrganisationOut]:
    optional_token(request, "territory")
    orgs = list(Organisation.objects.order_by("name"))
    populations: dict[int, int] = {}
    for org_id, population in Commune.objects.filter(organisation__in=orgs).values_list(
        "organisation_id", "population"
    ):
        populations[org_id] = populations.get(org_id, 0) + population
    return [_organisation_out(o, populations.get(o.pk, 0)) for o in orgs]


@router.get("/organisations/{siren}", response={200: OrganisationOut, 401: ErrorOut, 404: ErrorOut})
def get_organisation(request: HttpRequest, siren: str) -> OrganisationOut:
    optional_token(request, "territory")
    org = Organisation.objects.filter(siren=siren).first()
    if org is None:
        raise not_found("organisation", "siren", siren)
    return _organisation_out(org, org.population)


@router.get("/communes", response={200: Page[CommuneOut], 401: ErrorOut, 422: ErrorOut})
def list_communes(request: HttpRequest, filters: Query[CommuneFilters]) -> dict[str, Any]:
    optional_token(request, "territory")
    qs = (
        Commune.objects.filter(organisation__isnull=False)
        .select_related("organisation")
        .order_by("insee_code")
    )
    if filters.organisation:
        qs = qs.filter(organisation__siren=filters.organisation)
    return paginate(qs, filters.page, filters.page_size)


@router.get("/communes/{insee_code}", response={200: CommuneOut, 401: ErrorOut, 404: ErrorOut})
def get_commune(request: HttpRequest, insee_code: str) -> Commune:
    optional_token(request, "territory")
    commune = (
        Commune.objects.select_related("organisation")
        .filter(insee_code=insee_code, organisation__isnull=False)
        .first()
    )
    if commune is None:
        raise not_found("commune", "insee_code", insee_code)
    return commune


@router.get("/zones", response={200: Page[ZoneOut], 401: ErrorOut, 422: ErrorOut})
def list_zones(request: HttpRequest, filters: Query[ZoneFilters]) -> dict[str, Any]:
    optional_token(request, "territory")
    qs = (
        Zone.objects.filter(commune__organisation__isnull=False)
        .select_related("commune")
        .order_by("commune__insee_code", "code")
    )
    if filters.commune:
        qs = qs.filter(commune__insee_code=filters.commune)
    return paginate(qs, filters.page, filters.page_size)
