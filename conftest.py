"""Shared fixtures: a small territory, staff of each role, API tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from territoire.accounts.testing import StaffClient
from territoire.api.models import ApiToken
from territoire.core import cache as page_cache
from territoire.reports import locate
from territoire.territory.models import Commune, Membership, Organisation, OrganisationKind, Role
from territoire.territory.services import add_commune, create_organisation

# The suite runs on a per-process cache (each test process is one "worker"): query counts
# and cache-free tests stay as they are. The default, database cache is tested by name
# (core/tests/test_checks.py), with its table made there.
# Pages follow every write at once (no lag behind a busy module, versions read at every
# request), and cache.clear() empties the page cache (no copies kept per process):
# core/tests/test_cache.py tests all three by name.
override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}},
    TERRITOIRE={
        **settings.TERRITOIRE,
        "PAGE_CACHE_LAG_SECONDS": 0,
        "PAGE_CACHE_VERSION_SECONDS": 0,
        "PAGE_CACHE_LOCAL_PAGES": 0,
    },
).enable()

DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_setup", "live_server"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-only",
        action="store_true",
        help="run only the tests that use the database (the PostgreSQL pass of `make test`: "
        "pure tests — parsers, rules, solvers — already ran in the SQLite pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--db-only"):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        uses_db = bool(names & DATABASE_FIXTURES) or item.get_closest_marker("django_db") is not None
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()
    page_cache.clear_local()
    # The zones' index is kept per process and data version; a test's rollback brings an
    # earlier version back, with other zones.
    locate.clear_cache()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request to /en/ leaves English active in the thread (LocaleMiddleware activates a
    # language per request and never deactivates it): each test starts in French.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # Staff fixtures set passwords; the production hasher would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    # Tasks (notification e-mails among them) run at enqueue time, after commit, so that a
    # test sees their effect (mail.outbox); the worker's database queue is tested apart.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def client() -> StaffClient:
    """The test client; ``force_login`` passes the second factor too (see StaffClient)."""
    return StaffClient()


@pytest.fixture
def organisation(db: Any) -> Organisation:
    """An EPCI with three communes, started from the template roadmap."""
    org = create_organisation(
        siren="200000001", name="CC des Essais", kind=OrganisationKind.COMMUNAUTE_COMMUNES
    )
    add_commune(organisation=org, insee_code="99101", name="Alpha", population=10_000, postcodes=["10000"])
    add_commune(organisation=org, insee_code="99102", name="Bêta", population=3_000, postcodes=["10001"])
    add_commune(organisation=org, insee_code="99103", name="Gamma", population=1_000, postcodes=["10002"])
    return org


@pytest.fixture
def other_organisation(db: Any) -> Organisation:
    org = create_organisation(
        siren="200000002", name="CA Voisine", kind=OrganisationKind.COMMUNAUTE_AGGLOMERATION
    )
    add_commune(organisation=org, insee_code="99201", name="Delta", population=20_000)
    return org


@pytest.fixture
def commune(organisation: Organisation) -> Commune:
    return Commune.objects.get(insee_code="99101")


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    counter = {"n": 0}

    def make(organisation: Organisation, role: str = Role.CHEF_PROJET, commune: Commune | None = None) -> Any:
        counter["n"] += 1
        user = get_user_model().objects.create_user(
            username=f"staff{counter['n']}",
            password="correct horse battery staple",
            is_staff=True,
            email=f"staff{counter['n']}@example.org",
            first_name="Prénom",
            last_name=f"Agent{counter['n']}",
        )
        Membership.objects.create(user=user, organisation=organisation, commune=commune, role=role)
        return user

    return make


@pytest.fixture
def make_token(db: Any) -> Callable[..., str]:
    def make(
        organisation: Organisation, *, write: bool = True, commune: Commune | None = None, **extra: Any
    ) -> str:
        _token, raw = ApiToken.issue(
            name="test", organisation=organisation, commune=commune, can_write=write, **extra
        )
        return raw

    return make
