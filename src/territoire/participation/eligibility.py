"""Who may take part in a process: the reasons a participant is not eligible, in French."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    Consultation,
    Envelope,
    Participant,
    ParticipatoryBudget,
    Residence,
)


class Reasons(list[str]):
    """The reasons a participant may not take part, in French; ``fixable_in_account`` says
    whether some can be fixed in the resident's account (a birth year to declare, a
    census check to do). Residence never is: a page must not invite anyone to change
    where they live in order to vote."""

    fixable_in_account = False


def residence_of(participant: Participant) -> tuple[int | None, int | None]:
    """(commune id, zone id) of the participant: the census entry's when verified, else
    the declared ones."""
    entry = getattr(participant, "census_entry", None) if participant.pk else None
    if entry is not None:
        return entry.commune_id, entry.zone_id or participant.zone_id
    return participant.commune_id, participant.zone_id


def _band_bounds(band: str) -> tuple[int | None, int | None]:
    """(lowest, highest) age of a declared band; (None, None) when no band is declared."""
    if not band:
        return None, None
    if band.endswith("+"):
        return int(band[:-1]), None
    low, _sep, high = band.partition("-")
    return int(low), int(high)


def birth_year_of(participant: Participant) -> int | None:
    entry = getattr(participant, "census_entry", None) if participant.pk else None
    if entry is not None and entry.birth_year is not None:
        return int(entry.birth_year)
    return participant.birth_year


def check_eligibility(
    participant: Participant | None,
    process: Consultation | ParticipatoryBudget,
    *,
    envelope: Envelope | None = None,
    today: dt.date | None = None,
) -> Reasons:
    """The reasons why ``participant`` may not take part in ``process`` (empty: eligible).

    Checks: an account with a verified address and not a staff account; the minimum age
    (on the birth year; the census entry's when the participant is verified); residence
    in the organisation's territory, the process's commune, or its zone (or the
    envelope's zone for a zone envelope); verification against the census list.
    """
    reasons = Reasons()
    if participant is None or participant.pk is None:
        reasons.append(_("Connectez-vous avec un compte de participant pour prendre part."))
        return reasons
    user = participant.user
    if not user.is_active or user.is_staff:
        reasons.append(_("Ce compte ne peut pas participer (les comptes des services ne votent pas)."))
    if participant.email_verified_at is None:
        reasons.append(_("Confirmez d'abord votre adresse électronique (lien reçu par courriel)."))
    if process.min_age:
        year = birth_year_of(participant)
        today = today or timezone.localdate()
        band_low, band_high = _band_bounds(participant.age_band) if year is None else (None, None)
        if year is None and band_low is not None and band_low >= process.min_age:
            pass  # the declared band is old enough whatever the exact age
        elif year is None and band_high is not None and band_high < process.min_age:
            reasons.append(
                _("Cette démarche est réservée aux personnes de %(age)s ans ou plus.")
                % {"age": process.min_age}
            )
        elif year is None:
            reasons.append(
                _("Indiquez votre année de naissance : cette démarche est réservée aux %(age)s ans ou plus.")
                % {"age": process.min_age}
            )
            reasons.fixable_in_account = True
        elif today.year - year < process.min_age:
            reasons.append(
                _("Cette démarche est réservée aux personnes de %(age)s ans ou plus.")
                % {"age": process.min_age}
            )
    commune_id, zone_id = residence_of(participant)
    if process.residence != Residence.ANY:
        if process.commune_id is not None:
            if commune_id != process.commune_id:
                reasons.append(_("Cette démarche est réservée aux habitants de la commune."))
        elif commune_id is None or not process.organisation.communes.filter(pk=commune_id).exists():
            reasons.append(_("Cette démarche est réservée aux habitants du territoire."))
        wanted_zone = envelope.zone_id if envelope is not None and envelope.zone_id else None
        if process.residence == Residence.ZONE and process.zone_id is not None:
            wanted_zone = wanted_zone or process.zone_id
            if zone_id != process.zone_id:
                reasons.append(_("Cette démarche est réservée aux habitants du quartier concerné."))
        elif wanted_zone is not None and zone_id != wanted_zone:
            zone = envelope.zone if envelope is not None else None
            zone_name = zone.name if zone is not None else ""
            reasons.append(
                _("Cette enveloppe est réservée aux habitants du quartier %(zone)s.") % {"zone": zone_name}
            )
    if process.census_required:
        entry = getattr(participant, "census_entry", None)
        allowed = (
            {process.commune_id}
            if process.commune_id is not None
            else set(process.organisation.communes.values_list("pk", flat=True))
        )
        if entry is None or entry.commune_id not in allowed:
            reasons.append(
                _(
                    "Cette démarche demande la vérification de votre identité sur la liste transmise par la commune."
                )
            )
            reasons.fixable_in_account = True
    return reasons


def ensure_eligible(
    participant: Participant | None,
    process: Consultation | ParticipatoryBudget,
    *,
    envelope: Envelope | None = None,
) -> Participant:
    """``participant`` if eligible; otherwise raise ParticipationError with the reasons."""
    reasons = check_eligibility(participant, process, envelope=envelope)
    if reasons or participant is None:
        raise ParticipationError(" ".join(reasons), field="", status=403)
    return participant
