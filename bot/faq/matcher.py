"""Matching a learner's question to FAQ entries, and deciding whether to answer.

Each entry is indexed from its question and its phrasings, per locale (`bot.faq.index`):
their meaning with a small sentence-embedding model run on the CPU (`bot.faq.embeddings`)
and their words with BM25 (`bot.faq.lexical`), fused into one confidence in [0, 1]
(`bot.faq.fusion`). A question is searched in the learner's locale, its language, then the
content's default locale, and each entry keeps its best score.

The confidence then decides, honestly:
- at or above `ANSWER_AT`, and clearly ahead of the runner-up, the best entry is answered;
- from `SUGGEST_AT`, the learner is offered the close candidates ("Did you mean ...");
- below `SUGGEST_AT` nothing is close: the bot says so and hands over to a person, never
  answering with a guess.

The thresholds were chosen on training data only (README, "Answering questions", says how
and with which figures; bench/faq.py reports them on the test splits): `SUGGEST_AT` so that
most out-of-scope questions are declined, `ANSWER_AT` so that almost none is answered
directly, and `ANSWER_MARGIN` as the smallest lead that made direct answers between close
neighbours clearly more precise.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.content.model import ContentPack, FaqEntry
from bot.faq.embeddings import LANGUAGES, Encoder, Vectors, shared_encoder
from bot.faq.index import LocaleIndex, texts_by_locale

ANSWER_AT = 0.50
"""A best score at or above this (with `ANSWER_MARGIN` over the next) is answered directly."""
ANSWER_MARGIN = 0.02
"""How far the best entry must lead the runner-up to be answered rather than offered."""
SUGGEST_AT = 0.34
"""From this up, the learner is offered the close candidates; below it, nothing is close."""
MAX_SUGGESTIONS = 3


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


def decide(ranked: Sequence[Candidate]) -> Match:
    """The decision for candidates ranked best first."""
    ranked = tuple(ranked[:MAX_SUGGESTIONS])
    if not ranked or ranked[0].score < SUGGEST_AT:
        return Match(Decision.UNANSWERED, ranked)
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if ranked[0].score >= ANSWER_AT and ranked[0].score - runner_up >= ANSWER_MARGIN:
        return Match(Decision.ANSWERED, ranked)
    return Match(Decision.SUGGESTED, tuple(c for c in ranked if c.score >= SUGGEST_AT))


@dataclass(frozen=True)
class _Built:
    entries: tuple[FaqEntry, ...]
    indexes: dict[str, LocaleIndex]


class FaqMatcher:
    """Every entry's question and phrasings, indexed per locale at start.

    `refresh` rebuilds the index when the content has changed; the model is loaded once per
    process and keeps the vectors of texts it has seen, so a rebuild only embeds new texts.
    """

    def __init__(self, content: ContentPack, *, encoder: Encoder | None = None) -> None:
        self.default_locale = content.default_locale
        self._encoder = encoder
        self._lock = threading.Lock()
        self._built = self._build(content.faq_entries)

    def refresh(self, content: ContentPack) -> bool:
        """Rebuild if `content`'s FAQ differs from the indexed one; True if it did."""
        with self._lock:
            self.default_locale = content.default_locale
            entries = content.faq_entries
            if entries == self._built.entries:
                return False
            self._built = self._build(entries)
            return True

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._built.entries

    def _build(self, entries: tuple[FaqEntry, ...]) -> _Built:
        grouped = texts_by_locale(entries)
        needs_model = any(locale.split("-", 1)[0].casefold() in LANGUAGES for locale in grouped)
        if needs_model and self._encoder is None:
            self._encoder = shared_encoder()
        indexes = {locale: LocaleIndex(locale, items, self._encoder) for locale, items in grouped.items()}
        return _Built(entries, indexes)

    def match(self, question: str, locale: str) -> Match:
        """Score every entry in the learner's locale (and the default locale) and decide."""
        text = question.strip()
        built = self._built
        if not text or not built.entries:
            return Match(Decision.UNANSWERED, ())
        best: dict[str, Candidate] = {}
        vector: Vectors | None = None
        language = locale.split("-", 1)[0]
        for searched in dict.fromkeys((locale, language, self.default_locale)):
            index = built.indexes.get(searched)
            if index is None or not index.entries:
                continue
            if index.uses_embeddings and vector is None and self._encoder is not None:
                vector = self._encoder.encode_one(text)
            scores = index.scores(text, vector)
            count = min(MAX_SUGGESTIONS, len(scores))
            for row in np.argpartition(-scores, count - 1)[:count]:
                entry, score = index.entries[int(row)], round(float(scores[row]), 4)
                known = best.get(entry.id)
                if known is None or score > known.score:
                    best[entry.id] = Candidate(entry, score)
        return decide(sorted(best.values(), key=lambda candidate: -candidate.score))
