"""Property tests of the BAN CSV parser: what it writes it reads back; on anything else it
answers with its own error (line and column), never a crash."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.territory.addresses import normalise, parse_query, prefix_upper_bound
from territoire.territory.ban import AddressImportError, BanRow, read
from territoire.territory.bantext import HEADER, BanAddress, ban_csv

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODES = {"99101", "99102"}

street_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=80
).filter(lambda s: normalise(s) != "" and s.strip() == s)
addresses = st.builds(
    BanAddress,
    insee=st.sampled_from(sorted(CODES | {"99999"})),
    commune=st.sampled_from(["Alpha", "Bêta", "Saint-Étienne"]),
    street=street_names,
    number=st.none() | st.integers(min_value=0, max_value=99999),
    lat=st.floats(min_value=-21.0, max_value=51.0),
    lon=st.floats(min_value=-63.0, max_value=55.0),
    suffix=st.sampled_from(["", "bis", "ter", "A"]),
    postcode=st.sampled_from(["", "10000", "97400"]),
    street_code=st.from_regex(r"\A[0-9a-z]{4}\Z"),
)


def attempt(text: str) -> tuple[list[BanRow], list[str]]:
    """Rows read, or the errors (each a non-empty message); any other exception fails."""
    try:
        rows, _count, _skipped = read(io.StringIO(text), communes=CODES)
    except AddressImportError as error:
        assert error.errors, "an error without a message"  # noqa: PT017
        assert all(error.errors), "an empty message"  # noqa: PT017
        return [], error.errors
    return rows, []


@SETTINGS
@given(
    st.lists(addresses, max_size=20, unique_by=lambda a: (a.insee, a.street_code, a.number, a.suffix.lower()))
)
def test_round_trip(items: list[BanAddress]) -> None:
    rows, count, skipped = read(io.StringIO(ban_csv(items)), communes=CODES)
    kept = [a for a in items if a.insee in CODES]
    assert count == len(items)
    assert skipped == len(items) - len(kept)
    assert [(r.insee, r.street, r.number, r.suffix, r.postcode) for r in rows] == [
        (a.insee, a.street, a.number, a.suffix, a.postcode) for a in kept
    ]
    for r, a in zip(rows, kept, strict=True):
        assert r.lat == pytest.approx(a.lat, abs=1e-6)
        assert r.lon == pytest.approx(a.lon, abs=1e-6)


@SETTINGS
@given(st.lists(st.text(max_size=40), min_size=1, max_size=23), st.integers(min_value=0, max_value=3))
def test_any_row_is_read_or_refused_with_its_line(cells: list[str], at: int) -> None:
    good = ban_csv([BanAddress("99101", "Alpha", "Rue Haute", 1, 47.0, 2.0)]).splitlines()
    lines = [*good[: 1 + min(at, 1)], ";".join(c.replace("\n", " ") for c in cells)]
    rows, errors = attempt("\n".join(lines) + "\n")
    assert all("ligne" in e or "en-tête" in e for e in errors)
    assert all(r.insee in CODES for r in rows)


@SETTINGS
@given(st.text(max_size=2000))
def test_any_text_never_crashes(text: str) -> None:
    rows, errors = attempt(text)
    assert not (rows and errors)


@SETTINGS
@given(st.lists(st.sampled_from(HEADER), min_size=1, max_size=30))
def test_any_header_order(columns: list[str]) -> None:
    _rows, errors = attempt(";".join(columns) + "\n")
    assert all("ligne 1" in e for e in errors)


@SETTINGS
@given(st.text(max_size=300))
def test_normalised_text_is_ascii_words(text: str) -> None:
    key = normalise(text)
    assert key == " ".join(key.split())
    assert all(c.isascii() and (c.isalnum() or c == " ") and not c.isupper() for c in key)
    query = parse_query(text)
    assert all(w and w == normalise(w) for w in query.words)


@SETTINGS
@given(st.from_regex(r"\A[a-z0-9]{1,12}\Z"), st.from_regex(r"\A[a-z0-9]{0,6}\Z"))
def test_prefix_bound_holds_every_word_with_the_prefix(prefix: str, rest: str) -> None:
    bound = prefix_upper_bound(prefix)
    word = prefix + rest
    assert word >= prefix
    assert bound is None or word < bound
    if bound is not None:
        assert not bound.startswith(prefix)
