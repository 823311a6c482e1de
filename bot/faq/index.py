"""The searchable form of the FAQ entries written in one locale.

Every entry that has a question or phrasings in the locale contributes all of them: one
BM25 document of their words, and (for languages the embedding model knows) one vector per
text plus their normalised mean. Scoring a question is then one embedding, two small matrix
products and a few posting-list additions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.content.model import FaqEntry
from bot.faq.embeddings import LANGUAGES, Encoder, Vectors
from bot.faq.fusion import Scores, fused, words_only
from bot.faq.lexical import LexicalIndex, terms


@dataclass(frozen=True)
class Indexed:
    """An entry and its texts in one locale (its question first)."""

    entry: FaqEntry
    texts: tuple[str, ...]


def texts_by_locale(entries: Sequence[FaqEntry]) -> dict[str, list[Indexed]]:
    """Each locale's entries with their question and phrasings in that locale."""
    found: dict[str, dict[str, list[str]]] = {}
    by_id = {entry.id: entry for entry in entries}
    for entry in entries:
        for locale, question in entry.question.variants.items():
            found.setdefault(locale, {}).setdefault(entry.id, []).append(question)
        for locale, phrasings in entry.phrasings.items():
            found.setdefault(locale, {}).setdefault(entry.id, []).extend(phrasings)
    return {
        locale: [
            Indexed(by_id[entry_id], tuple(dict.fromkeys(text.strip() for text in texts if text.strip())))
            for entry_id, texts in per_entry.items()
            if any(text.strip() for text in texts)
        ]
        for locale, per_entry in found.items()
    }


class LocaleIndex:
    """Scores every entry of one locale against a question, in [0, 1]."""

    def __init__(self, locale: str, indexed: Sequence[Indexed], encoder: Encoder | None) -> None:
        self.locale = locale
        self.language = locale.split("-", 1)[0].casefold()
        self.entries = tuple(item.entry for item in indexed)
        self._lexical = LexicalIndex(
            [[term for text in item.texts for term in terms(text, self.language)] for item in indexed]
        )
        self._encoder = encoder if self.language in LANGUAGES else None
        self._texts: Vectors | None = None
        self._centroids: Vectors | None = None
        self._starts: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        if self._encoder is not None and indexed:
            texts = [text for item in indexed for text in item.texts]
            vectors = self._encoder.encode(texts)
            counts = np.array([len(item.texts) for item in indexed], dtype=np.intp)
            self._starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
            sums = np.add.reduceat(vectors, self._starts, axis=0)
            self._centroids = (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)
            self._texts = vectors

    def scores(self, question: str, vector: Vectors | None) -> Scores:
        """Each entry's confidence for `question`; `vector` is its embedding, if this locale uses one."""
        lexical = self._lexical.scores(terms(question, self.language))
        if self._texts is None or self._centroids is None or vector is None:
            return words_only(lexical)
        centroid = self._centroids @ vector
        nearest = np.maximum.reduceat(self._texts @ vector, self._starts)
        return fused(centroid, nearest, lexical)

    @property
    def uses_embeddings(self) -> bool:
        return self._texts is not None
