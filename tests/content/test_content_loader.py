"""The model the engine gets from valid YAML: defaults filled in, texts made `LocalText`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.errors import ContentInvalid
from bot.content.loader import find_content_files, load_content
from bot.content.model import (
    AskChoice,
    AskText,
    Branch,
    CallToAction,
    CampaignSends,
    CampaignVariant,
    ContentPack,
    LessonRef,
    LocalText,
    QuestionType,
    RunQuiz,
    RunSurvey,
    Say,
    ShowImage,
    ShowLink,
    SurveyQuestionType,
)

HERE = Path(__file__).parent
GOOD = HERE / "good"


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([GOOD], default_locale="ko")


def test_find_content_files(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.md", "sub/c.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    single = tmp_path / "notes.md"
    found = find_content_files([tmp_path, single])
    assert found == [tmp_path / "a.yml", tmp_path / "b.yaml", tmp_path / "sub/c.yaml", single]


def test_pack(pack: ContentPack) -> None:
    assert pack.default_locale == "ko"
    assert set(pack.courses) == {"mini"}
    assert set(pack.quizzes) == {"mini-check"}
    assert set(pack.surveys) == {"mini-survey"}
    assert set(pack.faqs) == {"mini-faq"}
    [variant] = pack.campaigns["mini-push"].variants
    assert variant == CampaignVariant("main", 100.0, CampaignSends(course_id="mini"))


def test_course(pack: ContentPack) -> None:
    course = pack.courses["mini"]
    assert course.locales == {"en", "ko"}
    assert course.title == LocalText({"en": "Mini course", "ko": "미니 코스"}, "en")
    welcome, finish = course.lessons
    actions = [step.action for step in welcome.steps]
    assert [type(action) for action in actions] == [Say, AskChoice, Branch, Say, Say, AskText]
    ask = actions[1]
    assert isinstance(ask, AskChoice)
    assert ask.store_as == "role"
    assert [option.value for option in ask.options] == [
        "manager",
        "I build things",
    ]  # value defaults to label
    assert [option.goto for option in ask.options] == [None, "maker_tip"]
    assert actions[2] == Branch("role", {"manager": "manager_tip"}, "end")
    assert (welcome.steps[3].id, welcome.steps[3].goto) == ("manager_tip", "wrap_up")
    assert welcome.index_of("wrap_up") == 5
    kinds = [type(step.action) for step in finish.steps]
    assert kinds == [ShowImage, ShowLink, RunQuiz, RunSurvey, CallToAction]
    assert finish.steps[2].action == RunQuiz("mini-check")


def test_plain_strings_are_in_the_files_default_locale(tmp_path: Path) -> None:
    course = "kind: course\nid: c\ntitle: Hello\n"
    course += "lessons: [{id: a, title: {en: A, ko: 에이}, steps: [{say: Hi}]}]\n"
    (tmp_path / "c.yaml").write_text(course, encoding="utf-8")
    loaded = load_content([tmp_path]).courses["c"]
    assert loaded.title == LocalText({"en": "Hello"}, "en")
    assert loaded.locales == {"en"}  # a plain string exists in the default locale only


def test_quiz(pack: ContentPack) -> None:
    quiz = pack.quizzes["mini-check"]
    assert (quiz.pass_mark, quiz.retry_missed, quiz.default_locale) == (50, True, "en")
    views, archive = quiz.questions
    assert views.type is QuestionType.SINGLE
    assert views.correct_option_ids == {"b"}
    assert views.options[0].feedback == LocalText({"en": "Close, but no."}, "en")
    assert archive.type is QuestionType.TRUE_FALSE
    assert [option.id for option in archive.options] == ["true", "false"]
    assert archive.correct_option_ids == {"false"}
    assert archive.options[0].text.pick("ko") == "참"
    assert archive.options[1].text.pick("de") == "Falsch"


def test_survey(pack: ContentPack) -> None:
    survey = pack.surveys["mini-survey"]
    score, ease, anything = survey.questions
    assert score.type is SurveyQuestionType.NPS
    assert set(score.follow_up) == {"detractor", "promoter"}
    assert ease.follow_up["unhappy"].pick("en") == "What got in your way?"
    assert anything.optional is True
    assert survey.thank_you == LocalText(
        {"en": "Thanks{{ ', ' ~ learner.first_name if learner.first_name }}!"}, "en"
    )


def test_faq(pack: ContentPack) -> None:
    reset, mobile = pack.faqs["mini-faq"].entries
    assert reset.phrasings == {"en": ("I forgot my password", "can't log in")}
    assert reset.lesson == LessonRef("mini", "welcome")
    assert reset.tags == ("accounts",)
    assert reset.faq_id == "mini-faq"
    assert mobile.phrasings == {"en": ("phone app",), "ko": ("모바일 앱",)}
    assert pack.support_contact == LocalText({"en": "Write to support@example.com."}, "en")


def test_invalid_content_raises_with_every_error() -> None:
    with pytest.raises(ContentInvalid) as raised:
        load_content([GOOD, HERE / "broken" / "multi-error.yaml", HERE / "broken" / "empty.yaml"])
    assert len(raised.value.errors) == 5
    assert list(raised.value.errors) == sorted(raised.value.errors)
    assert "5 content problems" in str(raised.value)
