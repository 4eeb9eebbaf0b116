"""The Pabulib reader and writer: well-formed files, every kind of malformed file, round trips."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.participation.errors import PabulibError
from territoire.participation.pabulib import (
    PbFile,
    PbProject,
    PbVote,
    dump_pabulib,
    parse_pabulib,
)

DATA = Path("/work/shared/data/pabulib")

APPROVAL = """META
key;value
description;Petit budget
budget;1000.5
vote_type;approval
num_projects;3
num_votes;3
min_length;1
max_length;2
PROJECTS
project_id;cost;votes;name;category;selected;latitude
1;600;2;Bancs;mobilier,voirie;1;43.6
2;500;2;"Jardin; partagé";nature;0;43.7
3;400;1;Fresque;;0;none
VOTES
voter_id;vote;age
a;1,2;34
b;2;
c;1,3;70
"""

CUMULATIVE = """META
key;value
budget;100
vote_type;cumulative
max_sum_points;5
PROJECTS
project_id;cost;score
x;60;7
y;50;3
VOTES
voter_id;vote;points
v1;x,y;4,1
v2;x,y;3,2
v3;;
"""


def test_parses_the_three_sections() -> None:
    pb = parse_pabulib(APPROVAL)
    assert pb.meta["description"] == "Petit budget"
    assert pb.budget == Fraction(2001, 2)
    assert pb.vote_type == "approval"
    assert (pb.min_length, pb.max_length) == (1, 2)
    assert list(pb.projects) == ["1", "2", "3"]
    assert pb.projects["1"] == PbProject(
        project_id="1",
        cost=600,
        name="Bancs",
        categories=("mobilier", "voirie"),
        votes=2,
        selected=True,
        extra={"latitude": "43.6"},
    )
    assert pb.projects["2"].name == "Jardin; partagé"  # quoted field with the delimiter inside
    assert pb.projects["3"].categories == ()
    assert pb.votes == [
        PbVote("a", ("1", "2"), extra={"age": "34"}),
        PbVote("b", ("2",), extra={"age": ""}),
        PbVote("c", ("1", "3"), extra={"age": "70"}),
    ]


def test_parses_points_of_cumulative_votes() -> None:
    pb = parse_pabulib(CUMULATIVE)
    assert pb.vote_type == "cumulative"
    assert pb.max_sum_points == 5
    assert pb.projects["x"].score == 7
    assert pb.votes[0] == PbVote("v1", ("x", "y"), (4, 1))
    assert pb.votes[2] == PbVote("v3", (), ())  # an empty ballot is allowed


def test_reads_paths_binary_and_text_streams(tmp_path: Path) -> None:
    path = tmp_path / "small.pb"
    path.write_text(APPROVAL, encoding="utf-8")
    expected = parse_pabulib(APPROVAL)
    assert parse_pabulib(path) == expected
    assert parse_pabulib(str(path)) == expected
    assert parse_pabulib(io.StringIO(APPROVAL)) == expected
    assert parse_pabulib(io.BytesIO(APPROVAL.encode())) == expected
    assert parse_pabulib(("\ufeff" + APPROVAL.replace("\n", "\r\n")).encode()) == expected


def test_category_caps_pair_categories_with_budgets() -> None:
    text = APPROVAL.replace(
        "max_length;2\n", "max_length;2\ncategories;mobilier,nature\nbudget_per_category;700,300\n"
    )
    assert parse_pabulib(text).category_caps == {"mobilier": 700, "nature": 300}
    assert parse_pabulib(APPROVAL).category_caps == {}


def _replace(old: str, new: str, text: str = APPROVAL) -> str:
    assert old in text
    return text.replace(old, new, 1)


# (broken file, line number, words of the message)
MALFORMED = [
    ("", 1, "missing section META"),
    ("PROJECTS\nproject_id;cost\n", 1, "PROJECTS where META was expected"),
    (_replace("budget;1000.5\n", ""), 1, "no 'budget'"),
    (_replace("budget;1000.5", "budget;beaucoup"), 4, "budget 'beaucoup' is not a number"),
    (_replace("vote_type;approval", "vote_type;borda"), 5, "vote_type 'borda'"),
    (_replace("1;600;2;Bancs", "1;6OO;2;Bancs"), 12, "cost '6OO' is not a number"),
    (_replace("1;600;2;Bancs", "1;600.5;2;Bancs"), 12, "cost '600.5' is not an integer"),
    (_replace("1;600;2;Bancs", "1;-600;2;Bancs"), 12, "negative"),
    (_replace("3;400;1;Fresque", "1;400;1;Fresque"), 14, "project '1' appears twice"),
    (
        _replace("3;400;1;Fresque;;0;none", "3;400;1;Fresque;0;none"),
        14,
        "6 columns where the PROJECTS header has 7",
    ),
    (_replace("c;1,3;70", "c;1,9;70"), 19, "unknown project '9'"),
    (_replace("c;1,3;70", "a;1,3;70"), 19, "voter 'a' appears twice"),
    (_replace("b;2;", "b;2"), 18, "2 columns where the VOTES header has 3"),
    (_replace("VOTES\n", ""), 15, "3 columns where the PROJECTS header has 7"),
    (APPROVAL.split("VOTES")[0], 14, "missing section VOTES"),
    (_replace("PROJECTS\nproject_id", "PROJECTS\nid"), 11, "must start with 'project_id'"),
    (_replace("project_id;cost;votes", "project_id;price;votes"), 11, "no 'cost' column"),
    (_replace("votes;name;category", "votes;name;votes"), 11, "column 'votes' appears twice"),
    (_replace("num_votes;3", "num_votes;4"), 15, "num_votes is 4 but the VOTES section has 3"),
    (_replace("description;Petit budget", "budget;12"), 4, "META key 'budget' appears twice"),
    (_replace("1;600;2;Bancs;mobilier,voirie;1", "1;600;2;Bancs;mobilier,voirie;yes"), 12, "selected 'yes'"),
    (_replace("v1;x,y;4,1", "v1;x,y;4", CUMULATIVE), 12, "gives 1 points for 2 projects"),
    (_replace("v1;x,y;4,1", "v1;x,y;4,un", CUMULATIVE), 12, "points 'un' is not a number"),
    (CUMULATIVE.split("VOTES")[0] + "VOTES\nvoter_id;vote\nv1;x,y\n", 12, "a cumulative vote without points"),
    (_replace("voter_id;vote;age", "voter_id;vote;points"), 16, "a 'points' column in a approval file"),
    (_replace('"Jardin; partagé"', '"Jardin; partagé'), 13, "unreadable line"),
]


@pytest.mark.parametrize(("text", "line", "words"), MALFORMED)
def test_malformed_files_name_the_line_and_the_fault(text: str, line: int, words: str) -> None:
    with pytest.raises(PabulibError) as caught:
        parse_pabulib(text if "\n" in text else io.StringIO(text))
    assert caught.value.line == line
    assert words in caught.value.message
    assert str(caught.value).startswith(f"line {line}: ")


def test_bad_utf8_names_the_line() -> None:
    raw = APPROVAL.encode().replace(b"Bancs", b"Banc\xe9s")
    with pytest.raises(PabulibError, match=r"^line 12: not valid UTF-8"):
        parse_pabulib(raw)


def test_missing_file_is_a_pabulib_error(tmp_path: Path) -> None:
    with pytest.raises(PabulibError, match="cannot read"):
        parse_pabulib(tmp_path / "absent.pb")


def test_round_trip_of_the_samples() -> None:
    for text in (APPROVAL, CUMULATIVE):
        pb = parse_pabulib(text)
        assert parse_pabulib(dump_pabulib(pb)) == pb


@pytest.mark.parametrize("path", sorted(DATA.glob("*.pb")), ids=lambda p: p.stem[:40])
def test_every_real_file_parses_and_round_trips(path: Path) -> None:
    pb = parse_pabulib(path)
    assert len(pb.projects) == int(pb.meta["num_projects"])
    assert len(pb.votes) == int(pb.meta["num_votes"])
    assert pb.budget > 0
    assert parse_pabulib(dump_pabulib(pb)) == pb


# --- property tests -------------------------------------------------------------------

_word = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=8,
).filter(lambda s: "," not in s and s.strip() == s and s.lower() != "none")
_text = st.one_of(st.just(""), _word, st.builds(lambda a, b: f"{a} ; {b}", _word, _word))


@st.composite
def pb_files(draw: st.DrawFn) -> PbFile:
    ids = draw(
        st.lists(
            _word.filter(lambda s: s.lower() not in {"meta", "projects", "votes"}),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    vote_type = draw(st.sampled_from(["approval", "cumulative"]))
    with_votes = draw(st.booleans())
    projects = {
        pid: PbProject(
            project_id=pid,
            cost=draw(st.integers(0, 10**12)),
            name=draw(_text),
            categories=tuple(draw(st.lists(_word, max_size=2, unique=True))),
            votes=draw(st.integers(0, 10**6)) if with_votes else None,
            extra={"district": draw(_text)},
        )
        for pid in ids
    }
    voters = draw(st.lists(_word, max_size=6, unique=True))
    votes = []
    for voter in voters:
        chosen = tuple(draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True)))
        points = tuple(draw(st.integers(-5, 10)) for _ in chosen) if vote_type == "cumulative" else None
        votes.append(PbVote(voter, chosen, points, extra={"sex": draw(st.sampled_from(["", "F", "M"]))}))
    meta = {"description": draw(_text), "budget": str(draw(st.integers(0, 10**15))), "vote_type": vote_type}
    return PbFile(meta=meta, projects=projects, votes=votes)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pb_files())
def test_dump_then_parse_gives_the_same_file(pb: PbFile) -> None:
    text = dump_pabulib(pb)
    again = parse_pabulib(text)
    assert again == pb
    assert parse_pabulib(dump_pabulib(again)) == again


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_garbage_raises_only_pabulib_errors(raw: bytes) -> None:
    error: PabulibError | None = None
    try:
        parse_pabulib(raw)
    except PabulibError as exc:  # anything else fails the test
        error = exc
    assert error is None or error.line is None or error.line >= 1


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.data())
def test_damaged_valid_files_raise_only_pabulib_errors(data: st.DataObject) -> None:
    lines = APPROVAL.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    lines[index] = data.draw(st.text(alphabet=';,"x1 \n', max_size=12))
    error: PabulibError | None = None
    try:
        parse_pabulib("\n".join(lines) + "\n")
    except PabulibError as exc:  # anything else fails the test
        error = exc
    assert error is None or error.line is None or 1 <= error.line <= len(lines) + 2
