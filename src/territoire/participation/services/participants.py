"""Residents' accounts: sign-up, e-mail verification (signed token), declared profile."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.core.emails import normalise_email
from territoire.core.mail import send_later
from territoire.participation.census import verify_census
from territoire.participation.errors import ParticipationError
from territoire.participation.models import AgeBand, CensusEntry, Gender, Participant
from territoire.territory.models import Commune, Zone

__all__ = [
    "email_verification_token",
    "participant_for",
    "register_participant",
    "send_verification_email",
    "update_profile",
    "verify_census",
    "verify_email",
]

_TOKEN_SALT = "territoire.participation.email"  # noqa: S105 - a signing namespace, not a secret


def token_max_age_seconds() -> int:
    hours = int(settings.TERRITOIRE.get("PARTICIPATION_EMAIL_TOKEN_HOURS", 48))
    return hours * 3600


def participant_for(user: Any) -> Participant | None:
    """The participant of a signed-in resident, or None (anonymous visitor, staff)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.select_related("user").filter(user=user).first()


def _validate_profile(
    *, commune: Commune | None, zone: Zone | None, birth_year: int | None, age_band: str, gender: str
) -> None:
    if zone is not None and commune is not None and zone.commune_id != commune.pk:
        raise ParticipationError(_("Ce quartier n'appartient pas à la commune choisie."), field="zone")
    this_year = timezone.localdate().year
    if birth_year is not None and not (1900 <= birth_year <= this_year):
        raise ParticipationError(_("Année de naissance invalide."), field="birth_year")
    if age_band and age_band not in AgeBand.values:
        raise ParticipationError(_("Tranche d'âge inconnue."), field="age_band")
    if gender and gender not in Gender.values:
        raise ParticipationError(_("Valeur inconnue."), field="gender")


def register_participant(
    *,
    email: str,
    password: str,
    commune: Commune | None = None,
    zone: Zone | None = None,
    birth_year: int | None = None,
    age_band: str = "",
    gender: str = "",
    ip_address: str | None = None,
) -> Participant:
    """Create a resident's account (not staff, address not yet verified).

    The user's ``username`` is the normal form of the e-mail address (``normalise_email``;
    sign-in is by address).
    Refuses an invalid or already used address and a weak password (Django's validators).
    """
    # The normal form (core.emails) before the uniqueness check: two spellings of one
    # mailbox (case, U+200B, full-width letters, Unicode domain) are one account.
    try:
        email = normalise_email(email)
    except ValidationError as exc:
        raise ParticipationError(" ".join(exc.messages), field="email", status=400) from exc
    if zone is not None and commune is None:
        commune = zone.commune
    _validate_profile(commune=commune, zone=zone, birth_year=birth_year, age_band=age_band, gender=gender)
    user_model = get_user_model()
    try:
        validate_password(password, user=user_model(username=email, email=email))
    except ValidationError as exc:
        raise ParticipationError(" ".join(exc.messages), field="password", status=400) from exc
    if len(email) > 150 or user_model.objects.filter(username__iexact=email).exists():
        raise ParticipationError(_("Un compte existe déjà pour cette adresse."), field="email", status=400)
    try:
        with action(
            "participation.register",
            organisation_id=commune.organisation_id if commune else None,
            ip_address=ip_address,
            versions=(),
        ) as act:
            user = user_model.objects.create_user(
                username=email, email=email, password=password, is_staff=False
            )
            participant = Participant.objects.create(
                user=user, commune=commune, zone=zone, birth_year=birth_year, age_band=age_band, gender=gender
            )
            act.actor = user
            act.obj = participant
    except IntegrityError as exc:
        raise ParticipationError(
            _("Un compte existe déjà pour cette adresse."), field="email", status=400
        ) from exc
    return participant


def email_verification_token(participant: Participant) -> str:
    """A signed, expiring token proving the address (to put in the link sent by e-mail)."""
    return signing.dumps({"p": str(participant.public_id), "e": participant.user.email}, salt=_TOKEN_SALT)


def send_verification_email(participant: Participant, link: str) -> None:
    """Queue the confirmation link (built by the view from ``email_verification_token``)."""
    send_later(
        _("Confirmez votre adresse pour participer"),
        _(
            "Bonjour,\n\nPour confirmer votre adresse et participer aux démarches de votre territoire, "
            "ouvrez ce lien :\n%(link)s\n\nSi vous n'avez pas créé de compte, ignorez ce message."
        )
        % {"link": link},
        [participant.user.email],
    )


def verify_email(token: str, *, ip_address: str | None = None) -> Participant:
    """Mark the address of the token's participant as verified (idempotent)."""
    invalid = ParticipationError(_("Lien de confirmation invalide ou expiré."), field="token", status=400)
    try:
        data = signing.loads(token, salt=_TOKEN_SALT, max_age=token_max_age_seconds())
    except signing.BadSignature as exc:
        raise invalid from exc
    if not isinstance(data, dict):
        raise invalid
    participant = Participant.objects.select_related("user").filter(public_id=str(data.get("p"))).first()
    if participant is None or participant.user.email != data.get("e"):
        raise invalid
    if participant.email_verified_at is None:
        with action(
            "participation.verify_email",
            actor=participant.user,
            obj=participant,
            organisation_id=participant.commune.organisation_id if participant.commune else None,
            ip_address=ip_address,
            versions=(),
        ):
            participant.email_verified_at = timezone.now()
            participant.save(update_fields=["email_verified_at", "updated_at"])
    return participant


def update_profile(
    participant: Participant,
    *,
    commune: Commune | None,
    zone: Zone | None,
    birth_year: int | None,
    age_band: str = "",
    gender: str = "",
) -> Participant:
    """Replace the declared profile (every field optional)."""
    if zone is not None and commune is None:
        commune = zone.commune
    _validate_profile(commune=commune, zone=zone, birth_year=birth_year, age_band=age_band, gender=gender)
    before = {
        "commune": participant.commune_id,
        "zone": participant.zone_id,
        "birth_year": participant.birth_year,
        "age_band": participant.age_band,
        "gender": participant.gender,
    }
    with action(
        "participation.update_profile",
        actor=participant.user,
        obj=participant,
        organisation_id=commune.organisation_id if commune else None,
        versions=(),
    ) as act:
        participant.commune = commune
        participant.zone = zone
        participant.birth_year = birth_year
        participant.age_band = age_band
        participant.gender = gender
        participant.save()
        after = {
            "commune": participant.commune_id,
            "zone": participant.zone_id,
            "birth_year": participant.birth_year,
            "age_band": participant.age_band,
            "gender": participant.gender,
        }
        act.changes = {"fields": sorted(k for k, v in before.items() if v != after[k])}
    return participant


def claimed_entry(participant: Participant) -> CensusEntry | None:
    return CensusEntry.objects.filter(claimed_by=participant).first()
