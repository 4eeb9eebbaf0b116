"""Residents' accounts, e-mail verification, profile, census verification (hashed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.signing import TimestampSigner
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.core.models import AuditEvent
from territoire.participation import services
from territoire.participation.census import digest, import_census, normalise_name
from territoire.participation.errors import ParticipationError
from territoire.participation.models import CensusAttempt, CensusEntry, CensusKey, Participant
from territoire.participation.tests.factories import make_participant, make_zone
from territoire.territory.models import Commune

STRONG = "un mot de passe assez long 42"


def test_register_and_verify(commune: Commune, django_capture_on_commit_callbacks: Any) -> None:
    p = services.register_participant(
        email=" Alice@Example.org ", password=STRONG, commune=commune, birth_year=1990
    )
    assert p.user.username == "alice@example.org"
    assert not p.user.is_staff
    assert p.email_verified_at is None
    token = services.email_verification_token(p)
    with django_capture_on_commit_callbacks(execute=True):
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


GENERIC_FAILURE = "La vérification n'a pas abouti"


def test_census_verification(commune: Commune) -> None:
    import_census(commune, CSV.replace(";nord", ";"))
    p = make_participant(commune)
    entry = services.verify_census(
        p, commune=commune, last_name="dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    assert entry.claimed_by == p
    with pytest.raises(ParticipationError, match=GENERIC_FAILURE):
        services.verify_census(
            make_participant(commune),
            commune=commune,
            last_name="Dupont",
            first_name="Élodie",
            birth_date=dt.date(1985, 3, 2),
        )
    with pytest.raises(ParticipationError, match=GENERIC_FAILURE):
        services.verify_census(
            p, commune=commune, last_name="Durand", first_name="X", birth_date=dt.date(1985, 3, 2)
        )
    entry.refresh_from_db()
    assert entry.claimed_by == p  # a failed check never moves a claim


def test_census_check_is_no_birth_date_oracle(commune: Commune) -> None:
    """Absent and claimed-by-another answer the same (message, field, status)."""
    import_census(commune, CSV.replace(";nord", ";"))
    owner = make_participant(commune)
    services.verify_census(
        owner, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    attacker = make_participant(commune)
    answers = []
    for born in (dt.date(1985, 3, 1), dt.date(1985, 3, 2)):  # wrong date, then the right one
        with pytest.raises(ParticipationError) as caught:
            services.verify_census(
                attacker, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=born
            )
        answers.append((caught.value.message, caught.value.field, caught.value.status))
    assert answers[0] == answers[1]


def test_census_failures_are_bounded_per_account(commune: Commune, settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "PARTICIPATION_CENSUS_ACCOUNT_FAILURES": 3}
    import_census(commune, CSV.replace(";nord", ";"))
    guesser = make_participant(commune)
    for day in range(1, 4):
        with pytest.raises(ParticipationError, match=GENERIC_FAILURE):
            services.verify_census(
                guesser,
                commune=commune,
                last_name="Dupont",
                first_name="Elodie",
                birth_date=dt.date(1985, 1, day),
            )
    # Budget spent: even the right answer is refused for a while, with a clear message.
    with pytest.raises(ParticipationError, match="Trop de vérifications") as caught:
        services.verify_census(
            guesser, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
        )
    assert caught.value.status == 429
    assert not CensusEntry.objects.filter(claimed_by=guesser).exists()
    assert CensusAttempt.objects.filter(participant=guesser).count() == 3  # kept in the database
    assert AuditEvent.objects.filter(action="participation.verify_census_failed").count() == 3
    # The window passes: checks are allowed again.
    CensusAttempt.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    services.verify_census(
        guesser, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )


def test_census_failures_are_bounded_per_person_across_accounts(commune: Commune, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "PARTICIPATION_CENSUS_ACCOUNT_FAILURES": 5,
        "PARTICIPATION_CENSUS_ENTRY_FAILURES": 4,
    }
    import_census(commune, CSV.replace(";nord", ";"))
    for day in range(1, 5):  # four accounts, one guess each
        with pytest.raises(ParticipationError, match=GENERIC_FAILURE):
            services.verify_census(
                make_participant(commune),
                commune=commune,
                last_name="Dupont",
                first_name="Elodie",
                birth_date=dt.date(1985, 1, day),
            )
    with pytest.raises(ParticipationError, match="Trop de vérifications"):
        services.verify_census(
            make_participant(commune),
            commune=commune,
            last_name="DUPONT",
            first_name="élodie",
            birth_date=dt.date(1985, 3, 2),
        )
    # Another person of the list is not locked by the guesses aimed at Élodie Dupont.
    other = make_participant(commune)
    assert services.verify_census(
        other, commune=commune, last_name="Martin", first_name="Jean-Luc", birth_date=dt.date(1950, 11, 2)
    )


def test_a_claimed_entry_is_released_only_by_staff(
    commune: Commune, organisation: Any, other_organisation: Any, make_staff: Any
) -> None:
    import_census(commune, CSV.replace(";nord", ";"))
    squatter, resident = make_participant(commune), make_participant(commune)
    entry = services.verify_census(
        squatter, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    with pytest.raises(ParticipationError) as caught:
        services.release_census_entry(entry, actor=squatter.user, reason="C'est moi")
    assert caught.value.status == 404
    with pytest.raises(ParticipationError):
        services.release_census_entry(entry, actor=make_staff(other_organisation), reason="x")
    staff = make_staff(organisation, role="agent")
    with pytest.raises(ParticipationError, match="motif"):
        services.release_census_entry(entry, actor=staff, reason=" ")
    services.release_census_entry(entry, actor=staff, reason="Pièce d'identité vue en mairie")
    event = AuditEvent.objects.get(action="participation.release_census_entry")
    assert event.changes["previous_participant"] == squatter.pk
    assert event.actor == staff
    claimed = services.verify_census(
        resident, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    assert claimed.claimed_by == resident


def test_an_invisible_character_does_not_make_a_second_account(commune: Commune) -> None:
    """Issue 17: U+200B at the end of an existing address made a second verified account."""
    first = services.register_participant(email="voter@example.org", password=STRONG)
    for spelling in (
        "voter@example.org\u200b",
        "VOTER@EXAMPLE.ORG",
        "voter@exam\u00adple.org",
        "ｖoter@example.org",
    ):
        with pytest.raises(ParticipationError, match="existe déjà"):
            services.register_participant(email=spelling, password=STRONG)
    assert Participant.objects.get() == first
    assert first.user.username == first.user.email == "voter@example.org"
    with pytest.raises(ParticipationError) as caught:
        services.register_participant(email="voter@exa mple.org", password=STRONG)
    assert caught.value.field == "email"


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
