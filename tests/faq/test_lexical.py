"""Words: stemming, Korean character pairs, and BM25 scores kept within [0, 1)."""

from __future__ import annotations

from bot.faq.lexical import LexicalIndex, terms


def test_english_words_are_case_folded_and_stemmed() -> None:
    assert terms("Exporting EXPORTS exported", "en") == ["export", "export", "export"]


def test_korean_runs_become_character_pairs() -> None:
    assert terms("비밀번호를 잊어", "ko") == ["비밀", "밀번", "번호", "호를", "잊어"]


def test_a_language_without_a_stemmer_keeps_its_words() -> None:
    assert terms("Hallo Welt", "xx") == ["hallo", "welt"]


def test_scores_rank_the_document_sharing_rare_words_and_stay_below_one() -> None:
    index = LexicalIndex([["export", "csv", "data"], ["reset", "password"], ["data", "privacy"]])

    scores = index.scores(["export", "data"])

    assert scores.argmax() == 0
    assert 0 < scores.max() < 1
    assert scores[1] == 0
    assert index.scores([]).tolist() == [0, 0, 0]
