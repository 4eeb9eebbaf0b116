"""Import the Base Adresse Nationale's per-département CSV (``adresses-XX.csv[.gz]``).

The published format (adresse.data.gouv.fr, "Format .csv pour un usage classique"): UTF-8,
``;``-separated, one header line then one address per line, columns ``id;id_fantoir;
numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;
nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;
nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles``. Columns
are found by name in the header (their order may change); the ones read are in
``REQUIRED_COLUMNS``. Lines of communes outside the territory are skipped unread beyond
their ``code_insee``; the territory's lines are checked, every error collected with its
line and column, and nothing is written if one is found. A re-import replaces the
addresses of each commune present in the file (and leaves the others alone).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import IntegrityError
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.territory.addresses import normalise, street_words
from territoire.territory.models import Address, Commune, StreetWord

REQUIRED_COLUMNS = ("id", "numero", "rep", "nom_voie", "code_postal", "code_insee", "lon", "lat")
MAX_ERRORS = 50
BATCH = 2000
# Metropolitan France and overseas départements lie within these bounds (WGS 84).
LAT_RANGE = (-22.0, 52.0)
LON_RANGE = (-64.0, 56.0)


class AddressImportError(ValueError):
    """Bad input: every problem with its line and column; nothing has been written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class BanRow:
    line: int
    ban_id: str
    number: int | None
    suffix: str
    street: str
    postcode: str
    insee: str
    lat: float
    lon: float


@dataclass
class AddressImportSummary:
    lines: int = 0
    skipped: int = 0  # lines of communes outside the territory
    by_commune: dict[str, int] = field(default_factory=dict)  # INSEE code → addresses
    replaced: dict[str, int] = field(default_factory=dict)  # INSEE code → addresses before


def _open_text(path: Path) -> IO[str]:
    # Closed by the caller's ``with`` (the wrapper closes the file beneath).
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def parse(
    lines: Iterable[str], *, communes: set[str], source: str = "CSV"
) -> Iterator[BanRow | tuple[int, str]]:
    """Rows of the territory's communes, or ``(line, message)`` for each problem found.

    ``lines`` is the text of the file (the header first); ``communes`` the INSEE codes to
    keep. Never raises on bad content: the caller collects the messages.
    """
    reader = csv.reader(lines, delimiter=";", quotechar='"', strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield (
            1,
            _("%(source)s : le fichier est vide ; l'en-tête de la BAN est attendu.") % {"source": source},
        )
        return
    except csv.Error as exc:
        yield (1, _("%(source)s, ligne 1 : en-tête illisible (%(e)s).") % {"source": source, "e": exc})
        return
    names = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        yield (
            1,
            _(
                "%(source)s, ligne 1 : colonne(s) absente(s) de l'en-tête : %(cols)s (séparateur « ; » attendu)."
            )
            % {"source": source, "cols": ", ".join(missing)},
        )
        return
    at = {name: names.index(name) for name in REQUIRED_COLUMNS}
    width = len(names)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                reader.line_num,
                _("ligne %(line)s : ligne illisible (%(e)s).") % {"line": reader.line_num, "e": exc},
            )
            return
        line = reader.line_num
        if not cells or cells == [""]:
            continue
        if len(cells) <= at["code_insee"]:
            yield (
                line,
                _("ligne %(line)s : %(n)s colonne(s) au lieu de %(w)s.")
                % {"line": line, "n": len(cells), "w": width},
            )
            continue
        insee = cells[at["code_insee"]].strip()
        if insee not in communes:
            yield (line, "")  # another commune: skipped
            continue
        if len(cells) != width:
            yield (
                line,
                _("ligne %(line)s : %(n)s colonne(s) au lieu de %(w)s.")
                % {"line": line, "n": len(cells), "w": width},
            )
            continue
        yield from _row(cells, at, line)


def _where(line: int, column: str) -> str:
    return _("ligne %(line)s, colonne « %(col)s »") % {"line": line, "col": column}


def _row(cells: list[str], at: dict[str, int], line: int) -> Iterator[BanRow | tuple[int, str]]:
    value = {name: cells[index].strip() for name, index in at.items()}
    problems: list[str] = []
    ban_id = value["id"]
    if not ban_id or len(ban_id) > 60:
        problems.append(
            _("%(where)s : identifiant vide ou de plus de 60 caractères.") % {"where": _where(line, "id")}
        )
    number: int | None = None
    if value["numero"]:
        if not (value["numero"].isascii() and value["numero"].isdecimal()) or len(value["numero"]) > 6:
            problems.append(
                _("%(where)s : « %(v)s » n'est pas un numéro.")
                % {"where": _where(line, "numero"), "v": value["numero"][:20]}
            )
        else:
            number = int(value["numero"])
    if len(value["rep"]) > 20:
        problems.append(_("%(where)s : 20 caractères au plus.") % {"where": _where(line, "rep")})
    street = value["nom_voie"]
    if not street or len(street) > 200:
        problems.append(
            _("%(where)s : nom de voie vide ou de plus de 200 caractères.")
            % {"where": _where(line, "nom_voie")}
        )
    elif not normalise(street):
        problems.append(
            _("%(where)s : nom de voie sans lettre ni chiffre.") % {"where": _where(line, "nom_voie")}
        )
    postcode = value["code_postal"]
    if postcode and not (len(postcode) == 5 and postcode.isascii() and postcode.isdecimal()):
        problems.append(
            _("%(where)s : « %(v)s » n'est pas un code postal à 5 chiffres.")
            % {"where": _where(line, "code_postal"), "v": postcode[:20]}
        )
    coordinates: dict[str, float] = {}
    for name, (low, high) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        try:
            number_value = float(value[name])
        except ValueError:
            problems.append(
                _("%(where)s : « %(v)s » n'est pas un nombre (point décimal attendu).")
                % {"where": _where(line, name), "v": value[name][:20]}
            )
            continue
        if not low <= number_value <= high:
            problems.append(
                _("%(where)s : %(v)s est hors de la France (entre %(low)s et %(high)s).")
                % {"where": _where(line, name), "v": value[name][:20], "low": low, "high": high}
            )
            continue
        coordinates[name] = number_value
    if problems:
        for problem in problems:
            yield (line, problem)
        return
    yield BanRow(
        line=line,
        ban_id=ban_id,
        number=number,
        suffix=value["rep"],
        street=street,
        postcode=postcode,
        insee=value["code_insee"],
        lat=coordinates["lat"],
        lon=coordinates["lon"],
    )


def read(
    lines: Iterable[str],
    *,
    communes: set[str],
    source: str = "CSV",
    progress: Callable[[int], None] | None = None,
) -> tuple[list[BanRow], int, int]:
    """All the territory's rows, the number of lines and of lines skipped; raise on errors."""
    rows: list[BanRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    count = skipped = 0
    for item in parse(lines, communes=communes, source=source):
        count += 1
        if progress is not None and count % 50_000 == 0:
            progress(count)
        if isinstance(item, BanRow):
            first = seen.setdefault(item.ban_id, item.line)
            if first != item.line:
                errors.append(
                    _("%(where)s : identifiant %(id)s déjà vu ligne %(first)s.")
                    % {"where": _where(item.line, "id"), "id": item.ban_id, "first": first}
                )
            else:
                rows.append(item)
        elif item[1]:
            errors.append(item[1] if item[1].startswith(source) else f"{source}, {item[1]}")
        else:
            skipped += 1
        if len(errors) >= MAX_ERRORS:
            errors.append(_("… lecture arrêtée après %(n)s erreurs.") % {"n": MAX_ERRORS})
            break
    if errors:
        raise AddressImportError(errors)
    return rows, count, skipped


def import_addresses(
    path: Path, *, communes: Iterable[Commune] | None = None, progress: Callable[[str], None] | None = None
) -> AddressImportSummary:
    """Replace the addresses of the territory's communes found in the BAN file at ``path``.

    ``communes`` defaults to every commune attached to an organisation. All or nothing:
    the file is read and checked in full before one transaction writes it.
    """
    targets = list(communes if communes is not None else Commune.objects.filter(organisation__isnull=False))
    by_code = {c.insee_code: c for c in targets}
    if not by_code:
        raise AddressImportError([_("Aucune commune sur le territoire : importez-les d'abord (import-cog).")])
    name = path.name.lower()
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        raise AddressImportError([_("%(path)s : un fichier .csv ou .csv.gz est attendu.") % {"path": path}])
    say = progress or (lambda _message: None)
    try:
        with _open_text(path) as handle:
            rows, count, skipped = read(
                handle,
                communes=set(by_code),
                source=str(path.name),
                progress=lambda n: say(_("%(n)s lignes lues…") % {"n": f"{n:,}".replace(",", " ")}),
            )
    except FileNotFoundError as exc:
        raise AddressImportError([_("%(path)s : fichier introuvable.") % {"path": path}]) from exc
    except UnicodeDecodeError as exc:
        raise AddressImportError([_("%(path)s : le texte n'est pas en UTF-8.") % {"path": path}]) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise AddressImportError([_("%(path)s : illisible (%(e)s).") % {"path": path, "e": exc}]) from exc
    summary = AddressImportSummary(lines=count, skipped=skipped)
    present = sorted({r.insee for r in rows})
    if not present:
        raise AddressImportError(
            [
                _("%(path)s : aucune adresse des communes du territoire (%(codes)s) dans ce fichier.")
                % {"path": path.name, "codes": ", ".join(sorted(by_code)[:10])}
            ]
        )
    say(_("%(n)s adresses à écrire pour %(c)s commune(s)…") % {"n": len(rows), "c": len(present)})
    try:
        _write(rows, by_code, present, summary)
    except IntegrityError as exc:
        # An id already held by a commune outside this file (a commune merged, for one).
        raise AddressImportError(
            [
                _("%(path)s : un identifiant BAN du fichier appartient déjà à une autre commune (%(e)s).")
                % {"path": path.name, "e": exc}
            ]
        ) from exc
    return summary


def _write(
    rows: list[BanRow], by_code: dict[str, Commune], present: list[str], summary: AddressImportSummary
) -> None:
    with action(
        "territory.import_addresses",
        actor_label="command",
        organisation_id=_organisation_of(by_code, present),
    ) as act:
        replaced = [by_code[code] for code in present]
        for commune in replaced:
            summary.replaced[commune.insee_code] = Address.objects.filter(commune=commune).count()
        Address.objects.filter(commune__in=replaced).delete()
        StreetWord.objects.filter(commune__in=replaced).delete()
        words: set[tuple[int, str, str]] = set()
        batch: list[Address] = []
        for row in rows:
            commune = by_code[row.insee]
            key = normalise(row.street)
            batch.append(
                Address(
                    commune=commune,
                    ban_id=row.ban_id,
                    number=row.number,
                    suffix=row.suffix,
                    street=row.street,
                    street_key=key,
                    postcode=row.postcode,
                    lat=row.lat,
                    lon=row.lon,
                )
            )
            words.update((commune.pk, word, key) for word in street_words(key))
            summary.by_commune[row.insee] = summary.by_commune.get(row.insee, 0) + 1
            if len(batch) >= BATCH:
                Address.objects.bulk_create(batch)
                batch = []
        Address.objects.bulk_create(batch)
        StreetWord.objects.bulk_create(
            [StreetWord(commune_id=c, word=w, street_key=k) for c, w, k in sorted(words)], batch_size=BATCH
        )
        act.changes = {"addresses": summary.by_commune, "replaced": summary.replaced}
        act.versions = ()


def _organisation_of(by_code: dict[str, Commune], present: list[str]) -> int | None:
    organisations = {by_code[code].organisation_id for code in present}
    return organisations.pop() if len(organisations) == 1 else None
