"""Census lists imported by a commune, kept as keyed hashes (never in clear).

Each person of the list becomes HMAC-SHA256(salt, "LAST|FIRST|YYYY-MM-DD"), where the
names are normalised (accents removed, upper case, hyphens, apostrophes and repeated
spaces folded) and the salt is a random secret of the commune (``CensusKey``), never
exported. A participant proves residence by typing the same fields; the service hashes
them with the same key and claims the matching entry. The clear fields are never stored,
logged or audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.participation.errors import ParticipationError
from territoire.participation.models import CensusAttempt, CensusEntry, CensusKey, Participant
from territoire.participation.permissions import can_manage
from territoire.territory.models import Commune, Zone

REQUIRED_COLUMNS = ("nom", "prenom", "date_naissance")
OPTIONAL_COLUMNS = ("quartier",)


def normalise_name(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = re.sub(r"[-'’`´.]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def parse_birth_date(value: str) -> dt.date:
    """A date written YYYY-MM-DD or DD/MM/YYYY."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def key_for(commune: Commune) -> CensusKey:
    """The commune's key, created with a fresh random salt the first time."""
    key, _created = CensusKey.objects.get_or_create(commune=commune, defaults={"salt": secrets.token_hex(32)})
    return key


def digest(salt: str, last_name: str, first_name: str, birth_date: dt.date) -> str:
    message = f"{normalise_name(last_name)}|{normalise_name(first_name)}|{birth_date.isoformat()}"
    return hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass
class CensusImportReport:
    created: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)


def import_census(
    commune: Commune,
    source: str | io.TextIOBase,
    *,
    actor: Any = None,
    replace: bool = True,
) -> CensusImportReport:
    """Import a census CSV (``nom;prenom;date_naissance[;quartier]``, ``;`` or ``,``).

    Every line is checked first; any error refuses the whole file with the line numbers
    (ParticipationError, nothing written). With ``replace`` the entries no longer in the
    list are removed (claimed entries too: the participant loses the verification).
    """
    text = source if isinstance(source, str) else source.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ParticipationError(
            _("Ligne 1 : colonnes manquantes : %(cols)s.") % {"cols": ", ".join(missing)}, field="file"
        )
    reader.fieldnames = header
    zones = {z.code: z for z in Zone.objects.filter(commune=commune)}
    key = key_for(commune)
    rows: dict[str, tuple[int | None, Zone | None]] = {}
    errors: list[str] = []
    for line, row in enumerate(reader, start=2):
        last = (row.get("nom") or "").strip()
        first_name = (row.get("prenom") or "").strip()
        if not last or not first_name:
            errors.append(_("Ligne %(line)s : nom et prénom sont obligatoires.") % {"line": line})
            continue
        try:
            born = parse_birth_date(row.get("date_naissance") or "")
        except ValueError:
            errors.append(
                _("Ligne %(line)s : date de naissance illisible (attendu AAAA-MM-JJ ou JJ/MM/AAAA).")
                % {"line": line}
            )
            continue
        zone_code = (row.get("quartier") or "").strip()
        zone = zones.get(zone_code) if zone_code else None
        if zone_code and zone is None:
            errors.append(
                _("Ligne %(line)s : quartier inconnu « %(code)s ».") % {"line": line, "code": zone_code}
            )
            continue
        value = digest(key.salt, last, first_name, born)
        if value in rows:
            errors.append(_("Ligne %(line)s : personne en double dans le fichier.") % {"line": line})
            continue
        rows[value] = (born.year, zone)
    if errors:
        raise ParticipationError(" ".join(errors[:50]), field="file", status=400)
    report = CensusImportReport()
    with action(
        "participation.import_census",
        actor=actor,
        obj=commune,
        organisation_id=commune.organisation_id,
        versions=(),
    ) as act:
        existing = dict(CensusEntry.objects.filter(commune=commune).values_list("digest", "pk"))
        if replace:
            gone = [pk for d, pk in existing.items() if d not in rows]
            report.removed = CensusEntry.objects.filter(pk__in=gone).delete()[0]
        now = timezone.now()
        new = [
            CensusEntry(commune=commune, digest=d, birth_year=year, zone=zone, imported_at=now)
            for d, (year, zone) in rows.items()
            if d not in existing
        ]
        CensusEntry.objects.bulk_create(new, batch_size=2000)
        report.created = len(new)
        report.unchanged = len(rows) - len(new)
        act.changes = {"created": report.created, "removed": report.removed, "unchanged": report.unchanged}
    return report


def census_budgets() -> tuple[int, int, dt.timedelta]:
    """(failures per account, failures per person aimed at, window): settings, then defaults."""
    conf = settings.TERRITOIRE
    return (
        int(conf.get("PARTICIPATION_CENSUS_ACCOUNT_FAILURES", 5)),
        int(conf.get("PARTICIPATION_CENSUS_ENTRY_FAILURES", 10)),
        dt.timedelta(hours=int(conf.get("PARTICIPATION_CENSUS_WINDOW_HOURS", 24))),
    )


def name_key(salt: str, last_name: str, first_name: str) -> str:
    """The person aimed at by a check, without the birth date (keyed hash, never clear)."""
    message = f"{normalise_name(last_name)}|{normalise_name(first_name)}"
    return hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest()


def _failure() -> ParticipationError:
    # One message whether nobody matches or the person is already claimed by another
    # account: the answer must not tell a birth date is right (issue 17, the oracle).
    return ParticipationError(
        _(
            "La vérification n'a pas abouti. Vérifiez l'orthographe et la date de naissance ; "
            "si le problème persiste, contactez la mairie."
        ),
        field="last_name",
    )


def _exhausted() -> ParticipationError:
    return ParticipationError(
        _(
            "Trop de vérifications sans succès : les vérifications sont suspendues pour 24 heures. "
            "Si vous êtes bien sur la liste, contactez la mairie."
        ),
        field="last_name",
        status=429,
    )


def verify_census(
    participant: Participant, *, commune: Commune, last_name: str, first_name: str, birth_date: dt.date
) -> CensusEntry:
    """Claim the census entry matching the typed identity; the fields are not kept.

    Failures are bounded (``census_budgets``): per account, and per person aimed at (the
    keyed hash of the names, so guesses of one resident's birth date from many accounts
    count together). Past a budget, checks are refused until the window has passed. An
    entry claimed by another account answers like an unknown person; only staff
    re-assign it (``release_census_entry``).
    """
    key = CensusKey.objects.filter(commune=commune).first()
    if key is None:
        raise ParticipationError(
            _("Cette commune n'a pas transmis de liste de recensement."), field="commune"
        )
    value = digest(key.salt, last_name, first_name, birth_date)
    aimed = name_key(key.salt, last_name, first_name)
    per_account, per_entry, window = census_budgets()
    failed = False
    with action(
        "participation.verify_census",
        actor=participant.user,
        obj=participant,
        organisation_id=commune.organisation_id,
        versions=(),
    ) as act:
        # The account's row serialises its checks: two at once cannot both pass the budget.
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        since = timezone.now() - window
        if (
            CensusAttempt.objects.filter(participant=participant, created_at__gte=since).count()
            >= per_account
            or CensusAttempt.objects.filter(commune=commune, name_key=aimed, created_at__gte=since).count()
            >= per_entry
        ):
            raise _exhausted()
        entry = (
            CensusEntry.objects.select_for_update(of=("self",)).filter(commune=commune, digest=value).first()
        )
        if entry is None or (entry.claimed_by_id is not None and entry.claimed_by_id != participant.pk):
            # Recorded and committed (the audit record too), then refused below.
            CensusAttempt.objects.create(participant=participant, commune=commune, name_key=aimed)
            act.name = "participation.verify_census_failed"
            act.changes = {"commune": commune.insee_code}
            failed = True
        else:
            CensusEntry.objects.filter(claimed_by=participant).exclude(pk=entry.pk).update(
                claimed_by=None, claimed_at=None
            )
            entry.claimed_by = participant
            entry.claimed_at = timezone.now()
            entry.save(update_fields=["claimed_by", "claimed_at"])
            act.changes = {"commune": commune.insee_code}
    if failed or entry is None:
        raise _failure()
    return entry


def release_census_entry(entry: CensusEntry, *, actor: Any, reason: str) -> CensusEntry:
    """Staff free a claimed entry (a resident locked out by someone who claimed it first);
    the real resident can then verify. Audited with the reason; never done by a resident."""
    reason = (reason or "").strip()
    if not reason:
        raise ParticipationError(_("Indiquez le motif de la libération."), field="reason")
    organisation_id = entry.commune.organisation_id
    if actor is not None and (
        organisation_id is None or not can_manage(actor, organisation_id, entry.commune_id)
    ):
        raise ParticipationError(_("Entrée introuvable."), status=404)
    with action(
        "participation.release_census_entry",
        actor=actor,
        obj=entry,
        organisation_id=entry.commune.organisation_id,
        changes={"previous_participant": entry.claimed_by_id, "reason": reason[:500]},
        versions=(),
    ):
        entry.claimed_by = None
        entry.claimed_at = None
        entry.save(update_fields=["claimed_by", "claimed_at"])
    return entry
