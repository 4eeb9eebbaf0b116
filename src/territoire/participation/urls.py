"""URLs of the participation module, declared in its manifest (``apps.py``).

Every page is localised (French at /, English under /en/) under
``t/<scope_code>/participer/``. Pages that anonymous visitors read are cached
(``public_page``), forms included (each visitor's CSRF token is written into the copy). Residents' accounts live under
``participer/compte/``, a flow separate from the staff sign-in at /admin/.
"""

from typing import Any

from django.urls import URLPattern, URLResolver, path

from territoire.core.cache import public_page as cached_page
from territoire.core.http import staff_page
from territoire.participation.models import VERSION_KEY
from territoire.participation.views import account, ballots, budgets, consultations, engagement, staff


def public_page(view: Any) -> Any:
    """Cached for anonymous visitors until the spine's or the participation data change.

    A minute at most: a phase or a consultation opens and closes with the clock, not with
    a write. A form's CSRF token is each visitor's own (``core.cache``).
    """
    return cached_page(view, versions=("published", VERSION_KEY), timeout=60)


P = "t/<str:scope_code>/participer/"
B = P + "budgets/<uuid:budget_id>/"

root_urlpatterns: list[URLPattern | URLResolver] = []
public_urlpatterns: list[URLPattern | URLResolver] = [
    path(P, public_page(consultations.index), name="participation-index"),
    # Residents' accounts.
    path(P + "compte/", account.account, name="participation-account"),
    path(P + "compte/inscription/", account.signup, name="participation-signup"),
    path(P + "compte/inscription/envoyee/", account.signup_done, name="participation-signup-done"),
    path(P + "compte/confirmer/<str:token>/", account.verify, name="participation-verify"),
    path(P + "compte/connexion/", account.sign_in, name="participation-login"),
    path(P + "compte/deconnexion/", account.sign_out, name="participation-logout"),
    path(P + "compte/recensement/", account.census, name="participation-census"),
    # Consultations.
    path(
        P + "consultations/", public_page(consultations.consultation_list), name="participation-consultations"
    ),
    path(
        P + "consultations/<uuid:consultation_id>/",
        public_page(consultations.detail),
        name="participation-consultation",
    ),
    path(
        P + "consultations/<uuid:consultation_id>/resultats/",
        public_page(consultations.results),
        name="participation-consultation-results",
    ),
    # Participatory budgets.
    path(P + "budgets/", public_page(budgets.budget_list), name="participation-budgets"),
    path(B, public_page(budgets.detail), name="participation-budget"),
    path(B + "proposer/", budgets.submit, name="participation-submit"),
    path(B + "propositions/", public_page(budgets.proposals), name="participation-proposals"),
    path(B + "voter/<slug:envelope_code>/", ballots.ballot, name="participation-ballot"),
    path(B + "voter/<slug:envelope_code>/recu/", ballots.receipt, name="participation-receipt"),
    path(P + "recu/", ballots.receipt_check, name="participation-receipt-check"),
    path(B + "resultats/", public_page(budgets.results), name="participation-results"),
    path(B + "resultats/<slug:envelope_code>.pb", budgets.download_pabulib, name="participation-pabulib"),
    path(P + "propositions/<uuid:proposal_id>/", budgets.proposal, name="participation-proposal"),
    path(P + "propositions/<uuid:proposal_id>/signaler/", budgets.report_abuse, name="participation-report"),
    # Engagement analytics.
    path(P + "engagement/", public_page(engagement.engagement), name="participation-engagement"),
    # Staff.
    path(B + "pilotage/", staff_page(staff.dashboard), name="participation-staff-budget"),
]
