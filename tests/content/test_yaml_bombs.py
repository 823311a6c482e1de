"""YAML that would hang or bloat whatever reads it is refused before it is built, at file:line."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from bot.content.loader import validate_paths

LAUGHS = "kind: faq\nid: lol\nentries:\n  - id: a\n    question: q\n    answer: &a0 lol\n" + "".join(
    f"x{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 10)
)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "bomb.yaml").write_text(text, encoding="utf-8")
    return [str(error) for error in validate_paths([tmp_path / "bomb.yaml"])]


def test_billion_laughs_is_refused_quickly_and_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    started = time.perf_counter()
    errors = errors_of(tmp_path, LAUGHS)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert errors == [
        "bomb.yaml:9:45: aliases (*name) here would repeat more than 1000 values; "
        "write the text out instead of repeating it through anchors"
    ]
    assert elapsed < 5.0  # under tracemalloc; expanding it took minutes
    assert peak < 20_000_000


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert errors_of(tmp_path, "kind: faq\nid: deep\nentries: " + "[" * 10_000 + "]" * 10_000 + "\n") == [
        "bomb.yaml:3:41: nested more than 32 levels deep; content never needs that many"
    ]


def test_a_file_over_a_megabyte_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = "kind: course\ntitle:\n" + "".join("  " * level + "- \n" for level in range(1, 1500))
    assert errors_of(tmp_path, text) == [
        "bomb.yaml:1:1: this file is 2.1 MB; a content file may be at most 1 MB: "
        "split it (one course, quiz or survey per file; FAQ entries over several files)"
    ]


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!set {a, b}", "!!set"),
        ("!!timestamp 2024-01-01", "!!timestamp"),
        ("!custom x", "!custom"),
    ],
)
def test_tags_the_schema_does_not_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, tag: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert errors_of(tmp_path, f"kind: campaign\nid: c\ntitle: {value}\n") == [
        f"bomb.yaml:3:8: the tag {tag} is not allowed: content is plain text, numbers, "
        "true/false, lists and mappings (remove the tag, or put the value in quotes)"
    ]


def test_plain_tags_and_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = (
        "kind: course\nid: c\ntitle: !!str 42\nlessons:\n"
        "  - {id: a, title: &t Same title, steps: [{say: *t}, {say: *t}]}\n"
    )
    assert errors_of(tmp_path, text) == []
