"""The bot's own words count properly: a real plural form for every number, per language."""

from __future__ import annotations

import pytest

from bot.phrases import phrase, phrase_keys, plural_category


@pytest.mark.parametrize(
    ("count", "intro", "prompt"),
    [
        (1, "📝 Retry: the question you missed", "Would you like to retry the question you missed?"),
        (2, "📝 Retry: the 2 questions you missed", "Would you like to retry the 2 questions you missed?"),
        (11, "📝 Retry: the 11 questions you missed", "Would you like to retry the 11 questions you missed?"),
    ],
)
def test_english_counts_the_missed_questions(count: int, intro: str, prompt: str) -> None:
    assert phrase("quiz_retry_intro", "en", count=count) == intro
    assert phrase("quiz_retry_prompt", "en-GB", count=count) == prompt


def test_english_counts_quiz_questions_and_lessons() -> None:
    assert phrase("quiz_intro", "en", title="Check", count=1) == "📝 Quiz: Check (1 question)"
    assert phrase("quiz_intro", "en", title="Check", count=4) == "📝 Quiz: Check (4 questions)"
    line = "• Basics: {done} of {total} {noun}"
    assert phrase("progress_course", "en", title="Basics", done=0, total=1, status="") == line.format(
        done=0, total=1, noun="lesson"
    )
    assert phrase("progress_course", "en", title="Basics", done=1, total=2, status="") == line.format(
        done=1, total=2, noun="lessons"
    )


def test_korean_has_one_form_for_every_count() -> None:
    assert phrase("quiz_retry_intro", "ko", count=1) == "📝 다시 풀기: 틀린 1문항"
    assert phrase("quiz_retry_prompt", "ko-KR", count=3) == "틀린 3문항을 다시 풀어 볼까요?"


def test_a_locale_without_its_own_text_counts_in_english() -> None:
    assert phrase("quiz_retry_intro", "fr", count=0) == "📝 Retry: the 0 questions you missed"


@pytest.mark.parametrize(
    ("language", "count", "category"),
    [
        ("en", 1, "one"),
        ("en", 0, "other"),
        ("en", 2, "other"),
        ("de", 1, "one"),
        ("es", 1, "one"),
        ("fr", 0, "one"),
        ("fr", 1, "one"),
        ("fr", 2, "other"),
        ("pt", 0, "one"),
        ("pt", 2, "other"),
        ("ko", 1, "other"),
        ("ja", 1, "other"),
        ("zh", 1, "other"),
        ("xx", 1, "other"),
    ],
)
def test_plural_categories_follow_cldr(language: str, count: int, category: str) -> None:
    assert plural_category(language, count) == category


@pytest.mark.parametrize("key", phrase_keys())
@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("count", [0, 1, 2, 5, 21])
def test_no_phrase_hedges_a_form_in_brackets(key: str, locale: str, count: int) -> None:
    """No "question(s)", and no Korean particle pair like 을(를) either: say it one way."""
    values = dict.fromkeys(("count", "total", "done", "number", "percent", "correct", "mark"), count)
    words = dict.fromkeys(("title", "name", "answer", "low", "high", "status", "passed"), "x")
    named = ["hours", "agent", "text", "question", "language", "code", "available", "zone", "time"]
    when = ["places", "when", "weekday", "day", "month", "month_number"]
    others = dict.fromkeys([*named, *when], "x")
    text = phrase(key, locale, **values, **words, **others, command="/x")
    assert [hedge for hedge in ("(s)", "(es)", "(으)", "(를)", "(는)", "(가)", "(과)") if hedge in text] == []
