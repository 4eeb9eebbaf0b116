"""Residents' accounts, e-mail verification, profile, census verification (hashed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.signing import TimestampSigner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.participation import services
from territoire.participation.census import digest, import_census, normalise_name
from territoire.participation.errors import ParticipationError
from territoire.participation.models import CensusEntry, CensusKey, Participant
from territoire.participation.tests.factories import make_participant, make_zone
from territoire.territory.models import Commune

STRONG = "un mot de passe assez long 42"


def test_register_and_verify(commune: Commune) -> None:
    p = services.register_participant(
        email=" Alice@Example.org ", password=STRONG, commune=commune, birth_year=1990
    )
    assert p.user.username == "alice@example.org"
    assert not p.user.is_staff
    assert p.email_verified_at is None
    token = services.email_verification_token(p)
    services.send_verification_email(p, f"https://example.org/verifier/{token}/")
    assert token in mail.outbox[0].body
    assert services.verify_email(token).email_verified_at is not None
    with pytest.raises(ParticipationError, match="invalide"):
        services.verify_email(token + "x")
    with pytest.raises(ParticipationError, match="existe déjà"):
        services.register_participant(email="alice@example.org", password=STRONG)


def test_register_refuses_bad_input(commune: Commune) -> None:
    with pytest.raises(ParticipationError) as exc:
        services.register_participant(email="pas-une-adresse", password=STRONG)
    assert exc.value.field == "email"
    with pytest.raises(ParticipationError) as exc:
        services.register_participant(email="b@example.org", password="123")
    assert exc.value.field == "password"
    other = make_zone(Commune.objects.get(insee_code="99102"), "ailleurs")
    with pytest.raises(ParticipationError) as exc:
        services.register_participant(email="c@example.org", password=STRONG, commune=commune, zone=other)
    assert exc.value.field == "zone"
    assert not Participant.objects.exists()


def test_expired_token(commune: Commune, settings: Any) -> None:
    p = services.register_participant(email="d@example.org", password=STRONG)
    token = services.email_verification_token(p)
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_EMAIL_TOKEN_HOURS": 0}
    signer_max_age = services.participants.token_max_age_seconds()
    assert signer_max_age == 0
    TimestampSigner()  # the token carries its timestamp; max_age 0 → expired at once
    with pytest.raises(ParticipationError):
        services.verify_email(token)


def test_update_profile(commune: Commune) -> None:
    p = make_participant(commune)
    zone = make_zone(commune, "nord")
    services.update_profile(p, commune=None, zone=zone, birth_year=None, age_band="30-44", gender="F")
    p.refresh_from_db()
    assert (p.commune, p.zone, p.age_band, p.gender) == (commune, zone, "30-44", "F")
    with pytest.raises(ParticipationError):
        services.update_profile(p, commune=commune, zone=None, birth_year=1800)


CSV = "nom;prenom;date_naissance;quartier\nDupont;Élodie;1985-03-02;nord\nMartin;Jean-Luc;02/11/1950;\n"


def test_census_import_stores_hashes_only(commune: Commune) -> None:
    make_zone(commune, "nord")
    report = import_census(commune, CSV)
    assert report.created == 2
    stored = " ".join(CensusEntry.objects.values_list("digest", flat=True))
    assert "Dupont" not in stored
    assert "1985" not in stored
    key = CensusKey.objects.get(commune=commune).salt
    assert CensusEntry.objects.filter(digest=digest(key, "DUPONT", "elodie", dt.date(1985, 3, 2))).exists()
    # Re-import: unchanged; without Martin: removed.
    assert import_census(commune, CSV).unchanged == 2
    assert import_census(commune, CSV.rsplit("\n", 2)[0] + "\n").removed == 1


def test_census_import_errors_name_lines(commune: Commune) -> None:
    bad = "nom;prenom;date_naissance\nDupont;Élodie;1985-13-45\n;Jean;1950-01-01\nA;B;2000-01-01\nA;B;2000-01-01\n"
    with pytest.raises(ParticipationError) as exc:
        import_census(commune, bad)
    assert "Ligne 2" in exc.value.message
    assert "Ligne 3" in exc.value.message
    assert "Ligne 5" in exc.value.message
    with pytest.raises(ParticipationError, match="Ligne 1"):
        import_census(commune, "nom;prenom\nA;B\n")
    assert not CensusEntry.objects.exists()


def test_census_verification(commune: Commune) -> None:
    import_census(commune, CSV.replace(";nord", ";"))
    p = make_participant(commune)
    entry = services.verify_census(
        p, commune=commune, last_name="dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    assert entry.claimed_by == p
    with pytest.raises(ParticipationError, match="déjà rattachée"):
        services.verify_census(
            make_participant(commune),
            commune=commune,
            last_name="Dupont",
            first_name="Élodie",
            birth_date=dt.date(1985, 3, 2),
        )
    with pytest.raises(ParticipationError, match="Aucune personne"):
        services.verify_census(
            p, commune=commune, last_name="Durand", first_name="X", birth_date=dt.date(1985, 3, 2)
        )


def test_normalise_name() -> None:
    assert normalise_name("  d'Artagnan-Éloïse ") == "D ARTAGNAN ELOISE"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from("nomprenomdate_naissance;,\n\"'é0123456789-/ "), max_size=200))
def test_census_import_never_crashes(commune: Commune, text: str) -> None:
    """Whatever the file, the import either succeeds or refuses with a message."""
    message = ""
    try:
        import_census(commune, "nom;prenom;date_naissance\n" + text)
    except ParticipationError as exc:
        message = exc.message or "(empty)"
    assert message != "(empty)"
