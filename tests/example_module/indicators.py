from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import Direction
from territoire.indicators.periods import Period
from territoire.indicators.registry import indicator
from territoire.territory.models import Commune, Scope


@indicator(
    code="example_module.communes",
    name=_("Nombre de communes"),
    unit="communes",
    direction=Direction.HIGHER_IS_BETTER,
    method=_("Communes de l'organisation à la date du calcul."),
    snapshot=True,
    decimals=0,
)
def communes(scope: Scope, period: Period) -> Decimal | None:
    return Decimal(Commune.objects.filter(organisation_id=scope.organisation_id).count())
