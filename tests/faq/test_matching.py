"""The matcher on a small FAQ written here: paraphrases, nonsense, Korean, rebuilds."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot.content.model import ContentPack, Faq, FaqEntry, LocalText
from bot.faq.matcher import ANSWER_AT, SUGGEST_AT, Candidate, Decision, FaqMatcher, decide


def entry(
    entry_id: str,
    question: Mapping[str, str],
    phrasings: Mapping[str, tuple[str, ...]] | None = None,
    answer: str = "",
) -> FaqEntry:
    return FaqEntry(
        id=entry_id,
        question=LocalText(question, "en"),
        answer=LocalText({"en": answer or f"About {entry_id}."}, "en"),
        phrasings=phrasings or {},
    )


ENTRIES = (
    entry(
        "reset-password",
        {"en": "How do I reset my password?", "ko": "비밀번호를 어떻게 재설정하나요?"},
        {"en": ("I forgot my password", "password reset link"), "ko": ("비밀번호를 잊어버렸어요",)},
    ),
    entry("refunds", {"en": "Can I get a refund?"}, {"en": ("how do I get my money back", "refund my plan")}),
    entry("export", {"en": "How do I export my data?"}, {"en": ("export to csv", "download all my data")}),
    entry("invite", {"en": "How do I invite teammates?"}, {"en": ("add a colleague to my workspace",)}),
)


def pack(entries: tuple[FaqEntry, ...] = ENTRIES) -> ContentPack:
    return ContentPack({}, {}, {}, {"help": Faq("help", entries, "en")}, {}, "en")


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(pack())


def test_a_paraphrase_with_no_word_in_common_is_answered(matcher: FaqMatcher) -> None:
    match = matcher.match("I would like my payment returned to me", "en")

    assert (match.decision, match.candidates[0].entry.id) == (Decision.ANSWERED, "refunds")


def test_an_exact_question_is_answered_with_candidates_best_first(matcher: FaqMatcher) -> None:
    match = matcher.match("how do I reset my password", "en")

    assert match.decision is Decision.ANSWERED
    assert match.candidates[0].entry.id == "reset-password"
    scores = [candidate.score for candidate in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert match.candidates[0].score >= ANSWER_AT


@pytest.mark.parametrize(
    "question", ["what is the airspeed velocity of an unladen swallow", "banana bread recipe", "asdf qwerty"]
)
def test_a_question_with_nothing_close_is_never_answered(matcher: FaqMatcher, question: str) -> None:
    match = matcher.match(question, "en")

    assert match.decision is Decision.UNANSWERED
    assert all(candidate.score < SUGGEST_AT for candidate in match.candidates)


def test_an_empty_question_matches_nothing(matcher: FaqMatcher) -> None:
    assert matcher.match("   ", "en").candidates == ()


def test_a_korean_question_matches_the_korean_entry(matcher: FaqMatcher) -> None:
    match = matcher.match("비밀번호 잊어버렸는데 어떻게 해요?", "ko")

    assert (match.decision, match.candidates[0].entry.id) == (Decision.ANSWERED, "reset-password")


def test_an_english_question_from_a_korean_learner_falls_back_to_english(matcher: FaqMatcher) -> None:
    match = matcher.match("how can I export my data", "ko-KR")

    assert (match.decision, match.candidates[0].entry.id) == (Decision.ANSWERED, "export")


def test_close_candidates_are_offered_not_answered() -> None:
    entries = (entry("a", {"en": "a"}), entry("b", {"en": "b"}), entry("c", {"en": "c"}))

    near_tie = decide([Candidate(entries[0], 0.70), Candidate(entries[1], 0.69), Candidate(entries[2], 0.2)])
    unsure = decide([Candidate(entries[0], (ANSWER_AT + SUGGEST_AT) / 2)])

    assert (near_tie.decision, [c.entry.id for c in near_tie.candidates]) == (Decision.SUGGESTED, ["a", "b"])
    assert unsure.decision is Decision.SUGGESTED


def test_the_index_is_rebuilt_when_the_content_changes() -> None:
    matcher = FaqMatcher(pack())
    question = "what are your office opening hours"
    assert matcher.match(question, "en").decision is Decision.UNANSWERED

    hours = entry("hours", {"en": "When is your office open?"}, {"en": ("opening hours",)})
    assert matcher.refresh(pack((*ENTRIES, hours))) is True
    assert matcher.refresh(pack((*ENTRIES, hours))) is False

    match = matcher.match(question, "en")
    assert (match.decision, match.candidates[0].entry.id) == (Decision.ANSWERED, "hours")


def test_a_changed_answer_is_served_after_a_refresh() -> None:
    matcher = FaqMatcher(pack())
    changed = entry("refunds", {"en": "Can I get a refund?"}, answer="Within 30 days.")

    assert matcher.refresh(pack((changed, *ENTRIES[2:]))) is True

    best = matcher.match("can I get a refund", "en").candidates[0]
    assert best.entry.answer.pick("en") == "Within 30 days."
    assert {entry.id for entry in matcher.entries} == {"refunds", "export", "invite"}
