"""Find addresses of the Base Adresse Nationale: search as one types, and the nearest to a point.

Both work on SQLite and PostgreSQL with plain B-tree indexes (no trigram extension, no
full-text engine):

- **search**: the words of every street's normalised name (accent-free, lowercase, only
  letters and digits) are rows of ``StreetWord``; the most selective word typed is looked
  up as a *prefix* with a range (``word >= "eco" AND word < "ecp"``), which a B-tree
  answers whatever the database's collation, since words hold only ``[a-z0-9]``. The other
  words filter the candidate streets in Python; a house number picks the address on the
  street, else the street's middle number stands for it.
- **nearest**: a box around the point on the ``(lat, lon)`` index, widened until it holds
  an address, then the exact distance in Python.

The figures at the scale of a département (300,000 addresses) are in ``bench/README.md``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from territoire.core.geo import haversine_m
from territoire.territory.models import Address, Commune, StreetWord

SUFFIXES = frozenset({"bis", "ter", "quater", "quinquies", "a", "b", "c", "d", "e", "f"})
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_CANDIDATE_STREETS = 400


def normalise(text: str) -> str:
    """Accent-free, lowercase, words of letters and digits separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return " ".join(_NOT_WORD.sub(" ", ascii_text).split())


def street_words(street_key: str) -> set[str]:
    """The words a street is found by (single letters are too common to look up)."""
    return {w[:50] for w in street_key.split() if len(w) > 1}


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest ``[a-z0-9]`` string above every string starting with ``prefix``.

    Bumped within letters and digits only, so the order is the same in every collation
    (a ``{`` after ``z`` would be ignored by a linguistic one). None: no upper bound.
    """
    stem = prefix.rstrip("z")
    if not stem:
        return None
    last = stem[-1]
    return stem[:-1] + ("a" if last == "9" else chr(ord(last) + 1))


@dataclass(frozen=True)
class Found:
    """An address (or a street, ``number`` None) for the form and the JSON endpoints."""

    label: str
    ban_id: str
    lat: float
    lon: float
    commune_insee: str
    street: str
    number: str
    distance_m: float | None = None
    is_street: bool = False  # the street as a whole, its point that of its middle number

    @property
    def choice(self) -> str:
        """The value that names this result in a form: the BAN id, ``~`` first for a street."""
        return f"~{self.ban_id}" if self.is_street else self.ban_id

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "label": self.label,
            "id": self.choice,
            "type": "street" if self.is_street else "housenumber",
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "commune": self.commune_insee,
        }
        if self.distance_m is not None:
            data["distance_m"] = round(self.distance_m)
        return data


def _found(address: Address, *, with_number: bool = True, distance_m: float | None = None) -> Found:
    label = address.label
    if not with_number:
        label = f"{address.street}, {address.postcode} {address.commune.name}".strip()
    return Found(
        label=label,
        ban_id=address.ban_id,
        lat=address.lat,
        lon=address.lon,
        commune_insee=address.commune.insee_code,
        street=address.street,
        number=address.housenumber if with_number else "",
        distance_m=distance_m,
        is_street=not with_number,
    )


@dataclass(frozen=True)
class Query:
    number: int | None
    suffix: str
    words: tuple[str, ...]


def parse_query(text: str) -> Query:
    """``"12 bis Rue des Écoles"`` → number 12, suffix "bis", words ("rue", "des", "ecoles")."""
    tokens = normalise(text[:MAX_QUERY_LENGTH]).split()
    number: int | None = None
    suffix = ""
    if tokens and tokens[0].isascii() and tokens[0].isdecimal() and len(tokens[0]) <= 5:
        number = int(tokens[0])
        tokens = tokens[1:]
        if tokens and tokens[0] in SUFFIXES and len(tokens) > 1:
            suffix, tokens = tokens[0], tokens[1:]
    elif tokens and re.fullmatch(r"\d{1,5}[a-z]", tokens[0]):  # "12b"
        number, suffix, tokens = int(tokens[0][:-1]), tokens[0][-1], tokens[1:]
    return Query(number=number, suffix=suffix, words=tuple(tokens[:MAX_WORDS]))


def _matches(words: Iterable[str], haystack: list[str]) -> bool:
    """Every typed word is the prefix of some word of the street and commune."""
    return all(any(h.startswith(w) for h in haystack) for w in words)


# Words in most streets' names: looked up only when nothing else was typed.
COMMON_WORDS = frozenset(
    [
        "de",
        "la",
        "le",
        "les",
        "des",
        "du",
        "d",
        "l",
        "et",
        "a",
        "au",
        "aux",
        "en",
        "sur",
        "sous",
        "rue",
        "avenue",
        "av",
        "chemin",
        "route",
        "impasse",
        "allee",
        "place",
        "boulevard",
        "bd",
        "lieu",
        "dit",
        "hameau",
        "quai",
        "cours",
        "square",
    ]
)


def _key_word(words: list[str], communes: Iterable[Commune]) -> str:
    """The typed word to look up: the most selective one of the street's name.

    Words of a commune's name ("… Nantes") and words in most streets' names ("rue", "de")
    filter the candidates afterwards instead; the longest remaining word is looked up.
    """
    commune_words = {w for c in communes for w in normalise(c.name).split()}
    for keep in (
        lambda w: w not in COMMON_WORDS and not any(c.startswith(w) for c in commune_words),
        lambda w: w not in COMMON_WORDS,
        lambda w: True,
    ):
        chosen = [w for w in words if keep(w)]
        if chosen:
            return max(chosen, key=len)
    return words[0]


def search(text: str, communes: Iterable[Commune], *, limit: int = 8) -> list[Found]:
    """Addresses (or streets) of ``communes`` matching what was typed, best first.

    Four queries whatever the table's size: the words of the key word's prefix, the
    candidate streets' matching numbers (or their middle number), and the communes.
    """
    query = parse_query(text)
    by_id = {c.pk: c for c in communes}
    lookup = [w for w in query.words if len(w) > 1]
    if not lookup or not by_id:
        return []
    key = _key_word(lookup, by_id.values())
    words = StreetWord.objects.filter(commune_id__in=list(by_id), word__gte=key)
    upper = prefix_upper_bound(key)
    if upper is not None:
        words = words.filter(word__lt=upper)
    rows = words.values_list("commune_id", "street_key").distinct()[:_CANDIDATE_STREETS]
    streets: list[tuple[int, str]] = []
    for commune_id, street_key in rows:
        haystack = street_key.split() + normalise(by_id[commune_id].name).split()
        if _matches(query.words, haystack):
            streets.append((commune_id, street_key))
    if not streets:
        return []
    # Closest matches first: the shorter the street's name, the more of it was typed.
    streets.sort(key=lambda s: (len(s[1]), s[1], by_id[s[0]].name))
    # A number: its address on each candidate street; none: one result per street.
    streets = streets[: limit * 3] if query.number is not None else streets[:limit]
    filters: dict[str, Any] = {}
    if query.number is not None:
        filters["number"] = query.number
    # Tuples, not model instances: a street's every number may be read (a few hundred rows).
    numbers = (
        Address.objects.filter(
            commune_id__in={c for c, _s in streets}, street_key__in={s for _c, s in streets}, **filters
        )
        .order_by("commune_id", "street_key", "number", "suffix")
        .values_list(*_ROW)[: limit * 200]
    )
    wanted = set(streets)
    grouped: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in numbers:
        pair = (row[0], row[1])
        if pair in wanted:
            grouped.setdefault(pair, []).append(row)
    results: list[Found] = []
    for pair in streets:
        found = grouped.get(pair)
        if not found:
            continue
        commune = by_id[pair[0]]
        if query.number is not None:
            exact = [r for r in found if r[3].lower() == query.suffix]
            results += [_found_row(r, commune) for r in exact or found]
        else:
            results.append(_found_row(found[len(found) // 2], commune, with_number=False))
        if len(results) >= limit:
            break
    return results[:limit]


_ROW = ("commune_id", "street_key", "number", "suffix", "street", "postcode", "ban_id", "lat", "lon")


def _found_row(row: tuple[Any, ...], commune: Commune, *, with_number: bool = True) -> Found:
    _commune_id, _key, number, suffix, street, postcode, ban_id, lat, lon = row
    housenumber = f"{number} {suffix}".strip() if with_number and number is not None else ""
    label = f"{f'{housenumber} {street}'.strip()}, {postcode} {commune.name}".replace(" ,", ",").strip()
    return Found(
        label=label,
        ban_id=ban_id,
        lat=lat,
        lon=lon,
        commune_insee=commune.insee_code,
        street=street,
        number=housenumber,
        is_street=not with_number,
    )


def best_match(text: str, communes: Iterable[Commune]) -> Found | None:
    """The address a typed text names without doubt: a number on one street, or None."""
    query = parse_query(text)
    if query.number is None:
        return None
    found = [f for f in search(text, communes, limit=3) if f.number]
    streets = {(f.commune_insee, f.street) for f in found}
    if len(streets) != 1:
        return None
    wanted = f"{query.number} {query.suffix}".strip()
    exact = [f for f in found if normalise(f.number) == wanted]
    return exact[0] if exact else None


def by_ban_id(choice: str, communes: Iterable[Commune]) -> Found | None:
    """The address of ``communes`` with this BAN id; ``~id``: its street (see ``Found.choice``)."""
    street = choice.startswith("~")
    ban_id = choice[1:] if street else choice
    if not ban_id:
        return None
    ids = [c.pk for c in communes]
    address = Address.objects.select_related("commune").filter(ban_id=ban_id, commune_id__in=ids).first()
    return _found(address, with_number=not street) if address is not None else None


def nearest(
    lat: float, lon: float, communes: Iterable[Commune], *, max_distance_m: float = 300
) -> Found | None:
    """The address of ``communes`` nearest to the point, if one lies within ``max_distance_m``.

    A box of ±``step`` metres is read on the ``(lat, lon)`` index, doubled until it holds an
    address or covers ``max_distance_m``: a few hundred rows at most in a dense town.
    """
    ids = [c.pk for c in communes]
    if not ids or not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    step = min(50.0, max_distance_m)
    while True:
        dlat = step / 111_320
        dlon = step / (111_320 * max(0.01, math.cos(math.radians(lat))))
        rows = list(
            Address.objects.filter(
                lat__gte=lat - dlat,
                lat__lte=lat + dlat,
                lon__gte=lon - dlon,
                lon__lte=lon + dlon,
                commune_id__in=ids,
            )
            .select_related("commune")
            .order_by("pk")[:2000]
        )
        if rows or step >= max_distance_m:
            break
        step = min(step * 2, max_distance_m)
    best: tuple[float, Address] | None = None
    for address in rows:
        d = haversine_m(lat, lon, address.lat, address.lon)
        if best is None or d < best[0]:
            best = (d, address)
    if best is None or best[0] > max_distance_m:
        return None
    return _found(best[1], distance_m=best[0])
