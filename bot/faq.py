"""Matching a learner's question to FAQ entries, and deciding whether to answer.

This is a keyword matcher: TF-IDF weighted word overlap (with light stemming, and
character pairs for scripts written without spaces) between the question and each
phrasing of each entry, taking an entry's best phrasing. It is honest rather than clever:
below `SUGGEST_AT` nothing is offered, so a question with nothing close is never answered
with a guess.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.content.model import ContentPack, FaqEntry

ANSWER_AT = 0.5
"""A best score at or above this is answered directly."""
SUGGEST_AT = 0.25
"""Between this and ANSWER_AT the learner is offered the best candidates to pick from."""
MAX_SUGGESTIONS = 3

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "i'm",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "the",
        "there",
        "this",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly")


class Decision(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class Candidate:
    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...]
    """Best first; the answered entry is the first candidate."""


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _has_no_spaces_script(word: str) -> bool:
    return any(unicodedata.east_asian_width(char) == "W" for char in word)


def terms(text: str) -> list[str]:
    """The words that carry meaning; CJK runs become overlapping character pairs."""
    found: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word in _STOPWORDS:
            continue
        if _has_no_spaces_script(word) and len(word) > 1:
            found.extend(word[index : index + 2] for index in range(len(word) - 1))
        else:
            found.append(_stem(word))
    return found


@dataclass(frozen=True)
class _Phrasing:
    entry: FaqEntry
    weights: dict[str, float]
    norm: float


class FaqMatcher:
    """An index of every entry's question and phrasings, per locale, built once."""

    def __init__(self, content: ContentPack) -> None:
        self._by_locale: dict[str, list[_Phrasing]] = {}
        documents: list[tuple[str, FaqEntry, list[str]]] = []
        for entry in content.faq_entries:
            for locale, text in self._texts(entry):
                documents.append((locale, entry, terms(text)))
        frequency = Counter(term for _, _, words in documents for term in set(words))
        count = max(len(documents), 1)
        self._idf = {term: math.log(1 + count / seen) for term, seen in frequency.items()}
        self._unknown_idf = math.log(1 + count)
        for locale, entry, words in documents:
            weights = self._weigh(words)
            if weights:
                norm = math.sqrt(sum(value * value for value in weights.values()))
                self._by_locale.setdefault(locale, []).append(_Phrasing(entry, weights, norm))
        self.default_locale = content.default_locale

    @staticmethod
    def _texts(entry: FaqEntry) -> Iterable[tuple[str, str]]:
        for locale, question in entry.question.variants.items():
            yield locale, question
        for locale, phrasings in entry.phrasings.items():
            for phrasing in phrasings:
                yield locale, phrasing

    def _weigh(self, words: list[str]) -> dict[str, float]:
        counts = Counter(words)
        return {
            term: (1 + math.log(n)) * self._idf.get(term, self._unknown_idf) for term, n in counts.items()
        }

    def match(self, question: str, locale: str) -> Match:
        """Score every entry in the learner's locale (and the default locale) and decide."""
        weights = self._weigh(terms(question))
        if not weights:
            return Match(Decision.UNANSWERED, ())
        norm = math.sqrt(sum(value * value for value in weights.values()))
        best: dict[str, Candidate] = {}
        language = locale.split("-", 1)[0]
        for searched in dict.fromkeys((locale, language, self.default_locale)):
            for phrasing in self._by_locale.get(searched, []):
                shared = weights.keys() & phrasing.weights.keys()
                if not shared:
                    continue
                score = sum(weights[term] * phrasing.weights[term] for term in shared) / (
                    norm * phrasing.norm
                )
                known = best.get(phrasing.entry.id)
                if known is None or score > known.score:
                    best[phrasing.entry.id] = Candidate(phrasing.entry, round(score, 4))
        ranked = tuple(sorted(best.values(), key=lambda candidate: -candidate.score)[:MAX_SUGGESTIONS])
        if not ranked or ranked[0].score < SUGGEST_AT:
            return Match(Decision.UNANSWERED, ranked)
        if ranked[0].score >= ANSWER_AT:
            return Match(Decision.ANSWERED, ranked)
        return Match(Decision.SUGGESTED, tuple(c for c in ranked if c.score >= SUGGEST_AT))
