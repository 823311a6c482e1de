"""The content loader under malformed YAML: it loads, or reports every problem as a
`ContentError` with a file, a line and a column; it never raises anything else and never
takes longer than a time budget (enforced with SIGALRM, so a hang fails instead of waiting).

Each example is a content folder of its own: a malformed file alone, or a field of a real
course (content/courses/upgrade-to-pro.yaml, with the quiz and survey it refers to) given a
value of the wrong type, a tag, or an alias. `validate_paths` is what `lessonloop validate`
runs; when it finds nothing, `load_content` must build the pack.
"""

from __future__ import annotations

import json
import re
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from hypothesis import strategies as st

from bot.content.errors import ContentError
from bot.content.loader import load_content, validate_paths
from tests.properties.malformed import json_values
from tests.properties.watch import for_all, shown

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "content" / "courses" / "upgrade-to-pro.yaml"
ITS_REFERENCES = [
    ROOT / "content" / "quizzes" / "pro-features.yaml",
    ROOT / "content" / "surveys" / "csat.yaml",
]
BUDGET_S = 10.0
"""For one example (validating and, if clean, loading). The real course takes ~0.1 s, but
under a load of 10 on two cores a 3 s budget already failed ordinary examples."""

COURSE_TEXT = COURSE.read_text(encoding="utf-8")
COURSE_LINES = COURSE_TEXT.splitlines()
FIELD_LINE = re.compile(r"^(?P<lead>\s*(?:- )?)(?P<key>[a-z_]+):(?P<value>\s.*)?$")
FIELD_LINES = [number for number, line in enumerate(COURSE_LINES) if FIELD_LINE.match(line)]


class OverBudget(Exception):  # noqa: N818 - what happened, not an error class name
    pass


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise OverBudget(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Pack:
    """What one example writes: file name -> text (the course's references are added)."""

    files: tuple[tuple[str, str], ...]
    what: str

    def __repr__(self) -> str:
        shown_files = ", ".join(
            f"{name}: {text[:800]!r}{'...' if len(text) > 800 else ''}" for name, text in self.files
        )
        return f"<{self.what}: {shown_files}>"


def check(pack: Pack) -> None:
    with tempfile.TemporaryDirectory(prefix="lessonloop-content-") as folder:
        written = []
        for name, text in pack.files:
            path = Path(folder) / name
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            written.append(path.name)
        loaded_ok = False
        try:
            with time_budget(BUDGET_S):
                errors = validate_paths([Path(folder)])
                if not errors:
                    load_content([Path(folder)])
                    loaded_ok = True
        except OverBudget:
            raise AssertionError(f"the loader took more than {BUDGET_S} s on {pack!r}") from None
        except Exception as raised:
            raise AssertionError(
                f"the loader raised {type(raised).__name__}: {shown(str(raised), 300)}\non {pack!r}"
            ) from raised
    assert loaded_ok or errors, pack
    for error in errors:
        assert isinstance(error, ContentError), f"not a ContentError: {error!r} on {pack!r}"
        assert Path(error.file).name in written, f"{error} names no file of {pack!r}"
        assert error.line >= 1, f"{error} has no line, on {pack!r}"
        assert error.column >= 1, f"{error} has no column, on {pack!r}"


# --- malformed files on their own ------------------------------------------------------

TAGS = (
    "!!python/name:os.system",
    "!!python/object/apply:os.system",
    "!!python/object:builtins.object",
    "!!set",
    "!!timestamp",
    "!!binary",
    "!!omap",
    "!!pairs",
    "!!float",
    "!!int",
    "!!str",
    "!!map",
    "!!seq",
    "!!null",
    "!custom",
    "!<tag:yaml.org,2002:python/name:os.system>",
)
TAGGED_VALUES = (
    "",
    "x",
    "2001-12-14t21:59:43.10-05:00",
    "aGVsbG8=",
    "{a: 1, b}",
    "[echo, hi]",
    "[{a: 1}, {b: 2}]",
    "? a\n  ? b",
    "not a number",
    "0x1F",
    ".nan",
)


def _tagged(tag: str, value: str) -> str:
    return f"{tag} {value}" if value else tag


tagged = st.builds(_tagged, st.sampled_from(TAGS), st.sampled_from(TAGGED_VALUES))


def _bomb(levels: int, fanout: int) -> str:
    lines = ["kind: course", "id: bomb", "a0: &a0 [lol]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fanout)}]")
    lines.append(f"title: *a{levels}")
    lines.append(f"lessons: [{{id: one, title: *a{levels}, steps: [{{say: *a{levels}}}]}}]")
    return "\n".join(lines) + "\n"


bombs = (
    st.tuples(st.integers(1, 20), st.integers(2, 10))
    .filter(lambda shape: shape[1] ** shape[0] <= 10**6)
    .map(lambda shape: _bomb(*shape))
)
"""Up to a million expanded leaves: enough to take far longer than the budget if expanded,
small enough not to exhaust memory before the budget runs out."""


def _deep(kind: str, depth: int) -> str:
    if kind == "list":
        return "title: " + "[" * depth + "]" * depth + "\n"
    if kind == "map":
        return "title: " + "{a: " * depth + "b" + "}" * depth + "\n"
    if kind == "block":  # past 1,500 levels the file is over the 1 MB limit; deeper only costs time
        levels = range(1, min(depth, 3000))
        return "kind: course\ntitle:\n" + "".join("  " * level + "- \n" for level in levels)
    return "kind: course\ntitle: " + "[{" * depth + "}]" * depth + "\n"


deep_nesting = st.builds(_deep, st.sampled_from(["list", "map", "block", "mixed"]), st.integers(10, 20_000))

whole_files = st.one_of(
    st.text(max_size=400).map(lambda text: ("random text", text)),
    json_values.map(lambda value: ("JSON", json.dumps(value))),
    json_values.map(
        lambda value: ("a course of random JSON", "kind: course\nid: x\n" + f"lessons: {json.dumps(value)}\n")
    ),
    tagged.map(lambda value: ("a tagged document", value + "\n")),
    tagged.map(lambda value: ("a tagged title", f"kind: course\nid: tagged\ntitle: {value}\nlessons: []\n")),
    tagged.map(lambda value: ("a tagged kind", f"kind: {value}\nid: tagged\n")),
    bombs.map(lambda text: ("aliases", text)),
    deep_nesting.map(lambda text: ("deep nesting", text)),
    st.sampled_from(
        ["&a [*a]", "a: &a\n  b: *a\n", "*unknown", "&a a: 1", "<<: *nope", "- &x 1\n- *x\n- <<: *x\n"]
    ).map(lambda text: ("an odd alias", text)),
).map(lambda described: Pack((("content.yaml", described[1]),), described[0]))


def test_malformed_files(tmp_path: Path) -> None:
    for_all(whole_files, check, examples=450)


# --- a field of a real course made wrong -------------------------------------------------

wrong_values = st.one_of(
    st.sampled_from(
        ["42", "3.5", "true", "null", "~", "[]", "{}", "[1, [2, [3]]]", "{a: {b: c}}", "''", "-1e400"]
    ),
    tagged,
    json_values.map(json.dumps),
    st.sampled_from(
        ["x" * 5000, '"{{ learner.__class__ }}"', '"{% for x in y %}"', "|\n      multi\n      line"]
    ),
)


def _course_with(line: int, value: str) -> Pack:
    number = FIELD_LINES[line]
    match = FIELD_LINE.match(COURSE_LINES[number])
    assert match is not None
    lines = list(COURSE_LINES)
    lines[number] = f"{match['lead']}{match['key']}: {value}"
    references = tuple((path.name, path.read_text(encoding="utf-8")) for path in ITS_REFERENCES)
    files = (("course.yaml", "\n".join(lines) + "\n"), *references)
    return Pack(files, f"upgrade-to-pro.yaml line {number + 1} ({match['key']}) := {value[:200]!r}")


courses = st.builds(_course_with, st.integers(0, len(FIELD_LINES) - 1), wrong_values)


def test_a_course_with_a_field_made_wrong(tmp_path: Path) -> None:
    for_all(courses, check, examples=150)
