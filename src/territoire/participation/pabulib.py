"""Reader and writer of the Pabulib format (https://pabulib.org/format).

A Pabulib file describes one participatory-budget election in three sections, each a
block of ``;``-separated lines (CSV with ``;`` as delimiter, so a field may be quoted)::

    META
    key;value
    budget;1000000
    vote_type;approval
    PROJECTS
    project_id;cost;votes;name;category
    1;200000;37;Bancs;Mobilier urbain
    VOTES
    voter_id;vote
    v1;1,4,7

``parse_pabulib`` checks everything a tally relies on and raises ``PabulibError`` (a
``ValueError``) naming the 1-based line and what is wrong; ``dump_pabulib`` writes a file
that parses back to the same ``PbFile``. No Django here: the module is used by the
participation app, its management command and the tally benchmark alike.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO, TextIO

from territoire.participation.errors import PabulibError

VOTE_TYPES = ("approval", "ordinal", "cumulative", "scoring", "choose-1")
SECTIONS = ("meta", "projects", "votes")

# Project columns with a meaning of their own; any other column lands in ``extra``.
_PROJECT_COLUMNS = ("project_id", "cost", "votes", "score", "name", "selected")
_CATEGORY_COLUMNS = ("category", "categories")
_TARGET_COLUMNS = ("target", "targets")
_VOTE_COLUMNS = ("voter_id", "vote", "points")
_MISSING = ("", "none")  # how Pabulib files spell an absent optional value


@dataclass(frozen=True)
class PbProject:
    project_id: str
    cost: int
    name: str = ""
    categories: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    votes: int | None = None
    score: int | None = None
    selected: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PbVote:
    voter_id: str
    vote: tuple[str, ...]
    points: tuple[int, ...] | None = None
    extra: dict[str, str] = field(default_factory=dict)  # age, sex, voting_method…


def parse_decimal(text: str) -> Fraction:
    """A Pabulib number ("400000", "400000.0", "1000000.5", "0,5") as an exact fraction.

    pabutools reads a comma as the decimal separator; so do we, so that both see the same
    budget. Thousands separators are not part of the format and are refused.
    """
    cleaned = text.strip().replace(",", ".")
    if not cleaned or cleaned.count(".") > 1 or cleaned.lower() in {"nan", "inf", "-inf", "infinity"}:
        raise ValueError(text)
    return Fraction(cleaned)


@dataclass(frozen=True)
class PbWarning:
    """Something odd in a file that does not change what it means (a project listed twice
    by one voter): the file is read, and the line is reported."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class PbFile:
    meta: dict[str, str]
    projects: dict[str, PbProject]  # insertion-ordered, as in the file
    votes: list[PbVote]
    # Not part of the election: two files with the same content compare equal.
    warnings: list[PbWarning] = field(default_factory=list, compare=False)

    @property
    def budget(self) -> Fraction:
        return parse_decimal(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval")

    def _number(self, key: str) -> Fraction | None:
        value = self.meta.get(key)
        if value is None or value.strip().lower() in _MISSING:
            return None
        return parse_decimal(value)

    def _integer(self, key: str) -> int | None:
        value = self._number(key)
        return None if value is None else int(value)

    @property
    def min_length(self) -> int | None:
        return self._integer("min_length")

    @property
    def max_length(self) -> int | None:
        return self._integer("max_length")

    @property
    def min_sum_cost(self) -> Fraction | None:
        return self._number("min_sum_cost")

    @property
    def max_sum_cost(self) -> Fraction | None:
        return self._number("max_sum_cost")

    @property
    def min_points(self) -> Fraction | None:
        return self._number("min_points")

    @property
    def max_points(self) -> Fraction | None:
        return self._number("max_points")

    @property
    def min_sum_points(self) -> Fraction | None:
        return self._number("min_sum_points")

    @property
    def max_sum_points(self) -> Fraction | None:
        return self._number("max_sum_points")

    @property
    def category_caps(self) -> dict[str, Fraction]:
        """Per-category spending caps: meta ``budget_per_category`` paired with ``categories``.

        Amsterdam files carry them (e.g. ``categories;A,B`` and ``budget_per_category;52000,37000``);
        empty when the file has none. Feed it to ``rules.tally(..., rule="greedy-caps", caps=...)``.
        """
        caps = self.meta.get("budget_per_category", "").strip()
        if not caps:
            return {}
        names = [name.strip() for name in self.meta.get("categories", "").split(",")]
        values = [value.strip() for value in caps.split(",")]
        if len(names) != len(values):
            raise PabulibError(f"budget_per_category has {len(values)} values for {len(names)} categories")
        return {name: Fraction(value) for name, value in zip(names, values, strict=True)}


def _read_text(source: str | os.PathLike[str] | TextIO | BinaryIO | bytes) -> str:
    """The file's text; a ``str`` holding a newline is the content itself, otherwise a path."""
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as handle:
                raw: str | bytes = handle.read()
        except OSError as exc:
            raise PabulibError(f"cannot read {os.fspath(source)!s}: {exc.strerror}") from exc
    elif isinstance(source, bytes):
        raw = source
    else:
        try:
            raw = source.read()
        except UnicodeDecodeError as exc:
            raise PabulibError(f"not valid UTF-8 ({exc.reason})") from exc
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PabulibError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line) from exc


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, fields) for each non-blank row; quoted fields may span lines."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise PabulibError("the file contains a NUL character", text[: text.index("\x00")].count("\n") + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PabulibError(f"unreadable line ({exc})", start) from exc
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        yield start, row


def _optional_int(value: str, column: str, line: int) -> int | None:
    if value.strip().lower() in _MISSING:
        return None
    return _integer(value, column, line)


def _integer(value: str, column: str, line: int) -> int:
    try:
        number = parse_decimal(value)
    except (ValueError, ZeroDivisionError):
        raise PabulibError(f"{column} {value!r} is not a number", line) from None
    if number.denominator != 1:
        raise PabulibError(f"{column} {value!r} is not an integer", line)
    return int(number)


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


class _Parser:
    def __init__(self) -> None:
        self.meta: dict[str, str] = {}
        self.projects: dict[str, PbProject] = {}
        self.votes: list[PbVote] = []
        self.warnings: list[PbWarning] = []
        self.voter_ids: set[str] = set()
        self.section = ""
        self.section_lines: dict[str, int] = {}
        self.vote_type = "approval"
        self.meta_lines: dict[str, int] = {}
        self.header: list[str] = []
        self.header_line = 0

    def start_section(self, name: str, line: int) -> None:
        expected = SECTIONS[len(self.section_lines)] if len(self.section_lines) < len(SECTIONS) else None
        if name in self.section_lines:
            raise PabulibError(f"section {name.upper()} appears twice", line)
        if self.section and not self.header:
            raise PabulibError(f"section {self.section.upper()} has no header", line)
        if name != expected:
            raise PabulibError(f"section {name.upper()} where {str(expected).upper()} was expected", line)
        if name == "projects":
            self.check_meta(line)
        self.section = name
        self.section_lines[name] = line
        self.header = []

    def set_header(self, row: list[str], line: int) -> None:
        header = [column.strip() for column in row]
        first = {"meta": "key", "projects": "project_id", "votes": "voter_id"}[self.section]
        if header[0] != first:
            raise PabulibError(
                f"the {self.section.upper()} header must start with {first!r}, found {header[0]!r}", line
            )
        seen: set[str] = set()
        for column in header:
            if not column:
                raise PabulibError(f"empty column name in the {self.section.upper()} header", line)
            if column in seen:
                raise PabulibError(f"column {column!r} appears twice in the header", line)
            seen.add(column)
        if self.section == "meta" and header != ["key", "value"]:
            raise PabulibError("the META header must be 'key;value'", line)
        if self.section == "projects" and "cost" not in seen:
            raise PabulibError("the PROJECTS header has no 'cost' column", line)
        if self.section == "votes" and "vote" not in seen:
            raise PabulibError("the VOTES header has no 'vote' column", line)
        if self.section == "votes" and "points" in seen and self.vote_type not in {"cumulative", "scoring"}:
            raise PabulibError(f"a 'points' column in a {self.vote_type} file", line)
        self.header = header
        self.header_line = line

    def check_meta(self, line: int) -> None:
        if "budget" not in self.meta:
            raise PabulibError("META has no 'budget'", self.section_lines["meta"])
        try:
            budget = parse_decimal(self.meta["budget"])
        except (ValueError, ZeroDivisionError):
            raise PabulibError(
                f"budget {self.meta['budget']!r} is not a number", self.meta_lines["budget"]
            ) from None
        if budget < 0:
            raise PabulibError(f"budget {self.meta['budget']!r} is negative", self.meta_lines["budget"])
        vote_type = self.meta.get("vote_type", "approval")
        if vote_type not in VOTE_TYPES:
            raise PabulibError(
                f"vote_type {vote_type!r} is not one of {', '.join(VOTE_TYPES)}", self.meta_lines["vote_type"]
            )
        self.vote_type = vote_type

    def row(self, row: list[str], line: int) -> None:
        if not self.section:
            raise PabulibError(f"the file must start with META, found {row[0]!r}", line)
        if not self.header:
            self.set_header(row, line)
            return
        if len(row) != len(self.header):
            raise PabulibError(
                f"{len(row)} columns where the {self.section.upper()} header has {len(self.header)}", line
            )
        values = dict(zip(self.header, row, strict=True))
        if self.section == "meta":
            self.meta_row(values, line)
        elif self.section == "projects":
            self.project_row(values, line)
        else:
            self.vote_row(values, line)

    def meta_row(self, values: dict[str, str], line: int) -> None:
        key = values["key"].strip()
        if not key:
            raise PabulibError("empty META key", line)
        if key in self.meta:
            raise PabulibError(f"META key {key!r} appears twice", line)
        self.meta[key] = values["value"].strip()
        self.meta_lines[key] = line

    def project_row(self, values: dict[str, str], line: int) -> None:
        project_id = values["project_id"].strip()
        if not project_id:
            raise PabulibError("empty project_id", line)
        if "," in project_id:
            raise PabulibError(f"project_id {project_id!r} contains a comma", line)
        if project_id in self.projects:
            raise PabulibError(f"project {project_id!r} appears twice", line)
        cost = _integer(values["cost"], "cost", line)
        if cost < 0:
            raise PabulibError(f"cost {values['cost']!r} is negative", line)
        selected_text = values.get("selected", "").strip().lower()
        if selected_text in _MISSING:
            selected = None
        elif selected_text in {"0", "1"}:
            selected = selected_text == "1"
        else:
            raise PabulibError(f"selected {values['selected']!r} is neither 0 nor 1", line)
        categories: tuple[str, ...] = ()
        targets: tuple[str, ...] = ()
        extra: dict[str, str] = {}
        for column, value in values.items():
            if column in _CATEGORY_COLUMNS:
                categories = () if value.strip().lower() == "none" else _split_list(value)
            elif column in _TARGET_COLUMNS:
                targets = () if value.strip().lower() == "none" else _split_list(value)
            elif column not in _PROJECT_COLUMNS:
                extra[column] = value.strip()
        self.projects[project_id] = PbProject(
            project_id=project_id,
            cost=cost,
            name=values.get("name", "").strip(),
            categories=categories,
            targets=targets,
            votes=_optional_int(values.get("votes", ""), "votes", line),
            score=_optional_int(values.get("score", ""), "score", line),
            selected=selected,
            extra=extra,
        )

    def vote_row(self, values: dict[str, str], line: int) -> None:
        voter_id = values["voter_id"].strip()
        if not voter_id:
            raise PabulibError("empty voter_id", line)
        if voter_id in self.voter_ids:
            raise PabulibError(f"voter {voter_id!r} appears twice", line)
        self.voter_ids.add(voter_id)
        vote = _split_list(values["vote"])
        for project_id in vote:
            if project_id not in self.projects:
                raise PabulibError(f"voter {voter_id!r} votes for unknown project {project_id!r}", line)
        points: tuple[int, ...] | None = None
        if "points" in values:
            raw = values["points"].strip()
            points = tuple(_integer(item, "points", line) for item in raw.split(",")) if raw else ()
            if len(points) != len(vote):
                raise PabulibError(
                    f"voter {voter_id!r} gives {len(points)} points for {len(vote)} projects", line
                )
        elif self.vote_type in {"cumulative", "scoring"} and vote:
            raise PabulibError(f"a {self.vote_type} vote without points", line)
        repeated = (
            []
            if len(set(vote)) == len(vote)
            else sorted({p for p in vote if vote.count(p) > 1}, key=vote.index)
        )
        if repeated and self.vote_type == "ordinal":
            raise PabulibError(f"voter {voter_id!r} ranks project {repeated[0]!r} twice", line)
        if repeated:
            vote, points = self._count_once(voter_id, vote, points, repeated, line)
        if self.vote_type == "choose-1" and len(vote) > 1:
            raise PabulibError(f"voter {voter_id!r} chose {len(vote)} projects in a choose-1 vote", line)
        extra = {column: value.strip() for column, value in values.items() if column not in _VOTE_COLUMNS}
        self.votes.append(PbVote(voter_id=voter_id, vote=vote, points=points, extra=extra))

    def _count_once(
        self,
        voter_id: str,
        vote: tuple[str, ...],
        points: tuple[int, ...] | None,
        repeated: list[str],
        line: int,
    ) -> tuple[tuple[str, ...], tuple[int, ...] | None]:
        """The vote with each project once, as pabutools reads it: an approval ballot is a
        set; a ballot with points is a mapping, so the last points given to a project win
        (at the place of its first mention). The line is reported as a warning."""
        kept: dict[str, int] = {}
        for index, project_id in enumerate(vote):
            kept[project_id] = points[index] if points is not None else 1
        names = ", ".join(repr(p) for p in repeated)
        self.warnings.append(
            PbWarning(line, f"voter {voter_id!r} lists project {names} more than once: counted once")
        )
        return tuple(kept), (tuple(kept.values()) if points is not None else None)

    def finish(self, last_line: int) -> PbFile:
        for name in SECTIONS:
            if name not in self.section_lines:
                raise PabulibError(f"missing section {name.upper()}", last_line)
            if self.section == name and not self.header:
                raise PabulibError(f"section {name.upper()} has no header", self.section_lines[name])
        self.check_counts()
        return PbFile(meta=self.meta, projects=self.projects, votes=self.votes, warnings=self.warnings)

    def check_counts(self) -> None:
        for key, actual, section in (
            ("num_projects", len(self.projects), "projects"),
            ("num_votes", len(self.votes), "votes"),
        ):
            declared = self.meta.get(key)
            if declared is None or declared.strip().lower() in _MISSING:
                continue
            if _integer(declared, key, self.section_lines["meta"]) != actual:
                raise PabulibError(
                    f"META {key} is {declared} but the {section.upper()} section has {actual}",
                    self.section_lines[section],
                )


def parse_pabulib(source: str | os.PathLike[str] | TextIO | BinaryIO | bytes) -> PbFile:
    """Parse a Pabulib file: a path, an open file (text or binary), bytes, or the text itself.

    A ``str`` is taken as the file's content when it holds a line break, as a path otherwise.
    Raises ``PabulibError`` on anything malformed.
    """
    parser = _Parser()
    last_line = 1
    for line, row in _rows(_read_text(source)):
        last_line = line
        marker = row[0].strip().lower()
        if len(row) == 1 and marker in SECTIONS:
            parser.start_section(marker, line)
        else:
            parser.row(row, line)
    return parser.finish(last_line)


def _format_int(value: int | None) -> str:
    return "" if value is None else str(value)


def dump_pabulib(pb: PbFile) -> str:
    """The Pabulib text of ``pb`` (``\\n`` line endings); ``parse_pabulib`` reads it back equal."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in pb.meta.items():
        writer.writerow([key, value])

    projects = list(pb.projects.values())
    extra_columns: list[str] = []
    for project in projects:
        extra_columns.extend(column for column in project.extra if column not in extra_columns)
    columns = ["project_id", "cost"]
    if any(project.votes is not None for project in projects):
        columns.append("votes")
    if any(project.score is not None for project in projects):
        columns.append("score")
    columns.append("name")
    if any(project.categories for project in projects):
        columns.append("category")
    if any(project.targets for project in projects):
        columns.append("target")
    if any(project.selected is not None for project in projects):
        columns.append("selected")
    out.write("PROJECTS\n")
    writer.writerow(columns + extra_columns)
    for project in projects:
        standard = {
            "project_id": project.project_id,
            "cost": str(project.cost),
            "votes": _format_int(project.votes),
            "score": _format_int(project.score),
            "name": project.name,
            "category": ",".join(project.categories),
            "target": ",".join(project.targets),
            "selected": "" if project.selected is None else str(int(project.selected)),
        }
        writer.writerow([standard[c] for c in columns] + [project.extra.get(c, "") for c in extra_columns])

    vote_extra: list[str] = []
    for vote in pb.votes:
        vote_extra.extend(column for column in vote.extra if column not in vote_extra)
    with_points = any(vote.points is not None for vote in pb.votes)
    out.write("VOTES\n")
    writer.writerow(["voter_id", "vote", *(["points"] if with_points else []), *vote_extra])
    for vote in pb.votes:
        row = [vote.voter_id, ",".join(vote.vote)]
        if with_points:
            row.append(",".join(str(p) for p in vote.points or ()))
        writer.writerow(row + [vote.extra.get(c, "") for c in vote_extra])
    return out.getvalue()
