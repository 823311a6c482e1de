"""Campaigns as marketers write them: the model the campaign runner gets from valid YAML, and
one clear `file:line` error for each mistake (`broken/campaigns/` holds one per file, checked
against the small valid content in `good/`)."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.content.loader import load_content, validate_paths
from bot.content.model import (
    EVERY_DAY,
    CallToAction,
    Campaign,
    CampaignSends,
    CampaignTiming,
    CampaignVariant,
    DeliveryWindow,
    FrequencyCap,
    LocalText,
    QuizScore,
    Segment,
    Weekday,
    plain,
)

HERE = Path(__file__).parent
GOOD = HERE / "good"
REPO = HERE.parents[1]
WEEKDAYS = frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI})
ALLOWED = (
    "learner.first_name, learner.name, learner.locale, learner.platform, "
    "learner.attributes.NAME or answers.NAME"
)


def campaign_from(tmp_path: Path, text: str) -> Campaign:
    (tmp_path / "campaign.yaml").write_text(text, encoding="utf-8")
    pack = load_content([GOOD, tmp_path])
    return pack.campaigns["c"]


def errors_of(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "campaign.yaml").write_text(text, encoding="utf-8")
    return [f"{error.line}: {error.path}: {error.message}" for error in validate_paths([tmp_path], [GOOD])]


# --- the model ----------------------------------------------------------------------------


def test_a_whole_campaign(tmp_path: Path) -> None:
    campaign = campaign_from(
        tmp_path,
        """\
kind: campaign
id: c
default_locale: en
title: Pro for free users
description: A test.
segment:
  platform: [telegram, slack]
  locale: [en, ko]
  plan: [free]
  attributes: {industry: [saas, retail], size: ["10"]}
  account: [acme]
  started: [mini]
  not_completed: [mini]
  quiz_score: {quiz: mini-check, at_least: 60}
  nps: [promoter, passive]
  active_within_days: 30
  inactive_for_days: 2
  source: [website, referral]
  received: [mini-push]
  not_received: [c]
variants:
  - id: lesson
    share: 45
    sends: {course: mini, lesson: finish}
  - id: message
    share: 45.5
    sends:
      message:
        text: {en: Pro is here., ko: Pro가 왔어요.}
        button: See Pro
        url: https://example.com/pricing
holdout: 9.5
when: {at: "10:00", on: 2027-01-12}
frequency_cap: {messages: 3, days: 14}
window: {from: "09:00", to: "17:00", days: [mon, tue, wed, thu, fri]}
""",
    )
    assert campaign == Campaign(
        id="c",
        title=plain("Pro for free users"),
        default_locale="en",
        variants=(
            CampaignVariant("lesson", 45.0, CampaignSends(course_id="mini", lesson_id="finish")),
            CampaignVariant(
                "message",
                45.5,
                CampaignSends(
                    message=CallToAction(
                        LocalText({"en": "Pro is here.", "ko": "Pro가 왔어요."}, "en"),
                        plain("See Pro"),
                        "https://example.com/pricing",
                    )
                ),
            ),
        ),
        holdout=9.5,
        segment=Segment(
            platforms=("telegram", "slack"),
            locales=("en", "ko"),
            plans=("free",),
            attributes={"industry": ("saas", "retail"), "size": ("10",)},
            accounts=("acme",),
            started=("mini",),
            not_completed=("mini",),
            quiz_scores=(QuizScore("mini-check", at_least=60.0),),
            nps=("promoter", "passive"),
            active_within_days=30,
            inactive_for_days=2,
            sources=("website", "referral"),
            received=("mini-push",),
            not_received=("c",),
        ),
        when=CampaignTiming("at", at=time(10, 0), on=date(2027, 1, 12)),
        frequency_cap=FrequencyCap(3, 14),
        window=DeliveryWindow(time(9, 0), time(17, 0), WEEKDAYS),
        description=plain("A test."),
    )


def test_a_plain_sends_is_one_main_variant_and_the_defaults_fill_in(tmp_path: Path) -> None:
    campaign = campaign_from(tmp_path, "kind: campaign\nid: c\ntitle: T\nsends: {survey: mini-survey}\n")
    assert campaign == Campaign(
        id="c",
        title=plain("T"),
        default_locale="en",
        variants=(CampaignVariant("main", 100.0, CampaignSends(survey_id="mini-survey")),),
    )
    assert campaign.holdout == 0.0
    assert campaign.segment == Segment()
    assert campaign.when == CampaignTiming("now")
    assert campaign.frequency_cap == FrequencyCap(messages=2, days=7)
    assert campaign.window is None


def test_a_holdout_beside_a_plain_sends_leaves_the_rest_to_main(tmp_path: Path) -> None:
    campaign = campaign_from(
        tmp_path, "kind: campaign\nid: c\ntitle: T\nsends: {course: mini}\nholdout: 10\n"
    )
    assert campaign.variants == (CampaignVariant("main", 90.0, CampaignSends(course_id="mini")),)
    assert campaign.holdout == 10.0


@pytest.mark.parametrize(
    ("when", "timing"),
    [
        ("now", CampaignTiming("now")),
        ('{at: "7:30"}', CampaignTiming("at", at=time(7, 30))),
        ("{after_completed: mini, days: 7}", CampaignTiming("trigger", after_completed="mini", days=7)),
        ("{after_completed: mini}", CampaignTiming("trigger", after_completed="mini", days=0)),
    ],
)
def test_when(tmp_path: Path, when: str, timing: CampaignTiming) -> None:
    text = f"kind: campaign\nid: c\ntitle: T\nsends: {{course: mini}}\nwhen: {when}\n"
    assert campaign_from(tmp_path, text).when == timing


def test_frequency_cap_none_lifts_the_cap_and_a_window_without_days_is_every_day(tmp_path: Path) -> None:
    text = (
        "kind: campaign\nid: c\ntitle: T\nsends: {course: mini}\nfrequency_cap: none\n"
        'window: {from: "08:00", to: "20:00"}\n'
    )
    campaign = campaign_from(tmp_path, text)
    assert campaign.frequency_cap is None
    assert campaign.window == DeliveryWindow(time(8, 0), time(20, 0), EVERY_DAY)


def test_quiz_scores_as_a_list_must_all_hold(tmp_path: Path) -> None:
    text = (
        "kind: campaign\nid: c\ntitle: T\nsends: {course: mini}\nsegment:\n  completed: [mini]\n"
        "  quiz_score:\n    - {quiz: mini-check, at_least: 40, below: 80}\n"
        "    - {quiz: mini-check, below: 79.5}\n"
    )
    segment = campaign_from(tmp_path, text).segment
    assert segment == Segment(
        completed=("mini",),
        quiz_scores=(QuizScore("mini-check", at_least=40.0, below=80.0), QuizScore("mini-check", below=79.5)),
    )


def test_shares_that_add_up_to_100_only_in_decimals_are_fine(tmp_path: Path) -> None:
    text = (
        "kind: campaign\nid: c\ntitle: T\nvariants:\n"
        "  - {id: a, share: 33.3, sends: {course: mini}}\n"
        "  - {id: b, share: 33.3, sends: {course: mini, lesson: finish}}\n"
        "  - {id: c, share: 33.3, sends: {survey: mini-survey}}\n"
        "holdout: 0.1\n"
    )
    assert errors_of(tmp_path, text) == []


def test_what_a_variant_sends_is_named_as_interactions_name_content() -> None:
    assert CampaignSends(course_id="mini").content_id == "mini"
    assert CampaignSends(course_id="mini", lesson_id="finish").content_id == "mini/finish"
    assert CampaignSends(survey_id="nps").content_id == "nps"
    assert (
        CampaignSends(message=CallToAction(plain("Hi"), plain("Go"), "https://x.example")).content_id is None
    )


def test_a_lessons_cta_step_is_the_same_call_to_action_as_a_campaign_message() -> None:
    course = load_content([GOOD]).courses["mini"]
    action = course.lessons[-1].steps[-1].action
    assert action == CallToAction(
        LocalText(
            {
                "en": "You're ready{{ ', ' ~ learner.first_name if learner.first_name }}.",
                "ko": "준비됐어요, {{ learner.first_name | default('고객') }}님.",
            },
            "en",
        ),
        LocalText({"en": "Open", "ko": "열기"}, "en"),
        "https://app.example.com",
    )


def test_the_bundled_campaigns() -> None:
    campaigns = load_content([REPO / "content"]).campaigns
    upsell = campaigns["pro-upsell"]
    assert [(variant.id, variant.share) for variant in upsell.variants] == [
        ("lesson", 45.0),
        ("message", 45.0),
    ]
    assert upsell.holdout == 10.0
    follow_up = campaigns["onboarding-follow-up"]
    assert follow_up.when == CampaignTiming("trigger", after_completed="onboarding", days=7)
    assert follow_up.variants == (CampaignVariant("main", 100.0, CampaignSends(survey_id="nps")),)
    assert follow_up.frequency_cap is None


# --- mistakes -----------------------------------------------------------------------------

MISTAKES = {
    "activity-impossible.yaml": (
        "7:3: segment/inactive_for_days: nobody was last heard from within 7 days and also at least 30 "
        "days ago: inactive_for_days must be at most active_within_days"
    ),
    "at-not-a-time.yaml": (
        "6:8: when/at: '25:00' is not a time of day: write HH:MM on a 24-hour clock, e.g. \"09:00\" or "
        '"17:30"'
    ),
    "at-outside-window.yaml": (
        "6:8: when/at: 08:00 is outside the window (09:00 to 17:00), so every message would wait for the "
        "next opening: change one of them"
    ),
    "at-with-days.yaml": (
        "6:21: when/days: 'days' counts from the completion `after_completed` names; with `at`, give a "
        "date with `on`"
    ),
    "button-too-long.yaml": (
        "10:7: sends/message/button/ko: this button label takes 77 bytes; Telegram shows at most 64 "
        "(about 64 letters, or 21 in Korean, Chinese or Japanese): shorten it"
    ),
    "cap-word.yaml": "6:1: frequency_cap: expected 'none', got a string ('never')",
    "cap-zero.yaml": "6:17: frequency_cap/messages: must be at least 1 (got 0)",
    "completed-and-not.yaml": (
        "7:19: segment/not_completed/0: 'mini' is also in `completed`: nobody has both completed it and not"
    ),
    "holdout-everyone.yaml": (
        "6:1: holdout: a holdout of 100 leaves nobody to send to: the holdout is the part that gets nothing"
    ),
    "lesson-without-course.yaml": (
        "5:30: sends/lesson: 'lesson' picks one lesson of the course sent, so it needs `course:` beside "
        "it, e.g. {course: onboarding, lesson: welcome}"
    ),
    "message-missing-default-locale.yaml": (
        "8:5: sends/message/button: no 'en' text, the file's default_locale (this text has: ko)"
    ),
    "message-placeholder.yaml": (
        "10:15: variant 1 (variants/0/sends/message/text): unknown placeholder 'user.name'; templates can "
        f"use {ALLOWED}"
    ),
    "nps-band.yaml": (
        "6:9: segment/nps/0: expected one of: promoter, passive, detractor, got 'promoters'; "
        "did you mean 'promoter'?"
    ),
    "on-closed-day.yaml": (
        "6:21: when/on: 2027-01-16 is a Saturday, when the window is closed, so the messages would wait "
        "for the next open day: change one of them"
    ),
    "on-not-a-date.yaml": "6:21: when/on: '2027-02-30' is not a date: February 2027 has 28 days",
    "platform.yaml": "6:24: segment/platform/1: expected one of: telegram, slack, got 'whatsapp'",
    "quiz-score-empty-range.yaml": (
        "6:48: segment/quiz_score/below: no score is at least 60 and below 50: `below` must be more than "
        "`at_least`"
    ),
    "quiz-score-without-bounds.yaml": (
        "6:16: quiz score 1 (segment/quiz_score/0): say which scores of 'mini-check' count: `at_least: 60`, "
        "`below: 50`, "
        "or both"
    ),
    "sends-and-variants.yaml": (
        "6:1: variants: give either `sends:` or `variants:`, not both: a plain `sends:` is one variant for "
        "everyone, so move it into `variants:` to test it against others"
    ),
    "sends-nothing.yaml": (
        "2:1: a campaign needs `sends:` (one thing for everyone in the segment) or `variants:` (an A/B "
        "test); this one has neither"
    ),
    "sends-two-things.yaml": (
        "5:1: sends: 'sends' needs exactly one of: course, survey, message (this one has course and survey)"
    ),
    "shares-and-holdout-not-100.yaml": (
        "8:1: holdout: the variants' shares (45 + 40) and the holdout (10) add up to 95; together they "
        "must make 100"
    ),
    "shares-without-holdout.yaml": (
        "5:1: variants: the variants' shares (45 + 45) add up to 90, not 100: add `holdout: 10`, or change "
        "the shares"
    ),
    "trigger-negative-days.yaml": "6:31: when/days: must be at least 0 (got -1)",
    "trigger-unknown-course.yaml": (
        "6:8: when/after_completed: there is no course with id 'minni' (did you mean 'mini'? known "
        "courses: mini)"
    ),
    "trigger-with-date.yaml": (
        "6:31: when/on: 'on' is the date for `at`; a trigger goes out `days` after each learner completes "
        "the course, so it has no date"
    ),
    "unknown-campaign.yaml": (
        "6:18: segment/not_received/0: there is no campaign with id 'mini-psuh' (did you mean "
        "'mini-push'? known campaigns: mini-push, unknown-campaign)"
    ),
    "unknown-completed-course.yaml": (
        "6:21: segment/completed/1: there is no course with id 'minni' (did you mean 'mini'? known "
        "courses: mini)"
    ),
    "unknown-lesson.yaml": (
        "5:23: sends/lesson: course 'mini' has no lesson 'welcom' (did you mean 'welcome'? its lessons "
        "are: welcome, finish)"
    ),
    "unknown-quiz.yaml": (
        "6:16: segment/quiz_score/quiz: there is no quiz with id 'mini-chek' (did you mean 'mini-check'? "
        "known quizzes: mini-check)"
    ),
    "unknown-survey.yaml": (
        "8:13: variant 1 (variants/0/sends/survey): there is no survey with id 'mini-srvey' (did you mean "
        "'mini-survey'? known surveys: mini-survey)"
    ),
    "url-no-host.yaml": (
        "9:5: sends/message/url: 'https:///pricing' has no host: write the whole address, e.g. "
        "https://example.com/pricing"
    ),
    "url-not-absolute.yaml": (
        "9:5: sends/message/url: 'example.com/pricing' is not a web address: it must start with http:// "
        "or https:// and contain no spaces"
    ),
    "variant-called-holdout.yaml": (
        "6:6: variant 1 (variants/0/id): 'holdout' is what the control group is called in reports; name this "
        "variant "
        "otherwise"
    ),
    "variant-duplicate-id.yaml": (
        "7:6: variant 2 (variants/1/id): duplicate variant id 'a' (already used on line 6)"
    ),
    "variant-id-too-long.yaml": (
        "6:6: variant 1 (variants/0/id): variant id 'the-lesson-about-automations-first' has 34 characters; "
        "at most 32"
    ),
    "variant-zero-share.yaml": (
        "7:13: variant 2 (variants/1/share): a variant's share must be more than 0 (one nobody gets can be "
        "removed)"
    ),
    "when-word.yaml": "6:1: when: expected 'now', got a string ('tomorrow')",
    "window-backwards.yaml": (
        "6:25: window/to: the window closes (09:00) before it opens (17:00): 'from' must be before 'to', "
        "on the same day (a window cannot run past midnight)"
    ),
}


@pytest.fixture
def in_tests(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from tests/content, so errors name files as `broken/campaigns/x.yaml`."""
    monkeypatch.chdir(HERE)
    return HERE


@pytest.mark.parametrize(("name", "expected"), MISTAKES.items(), ids=list(MISTAKES))
def test_one_campaign_mistake_gives_one_clear_error(in_tests: Path, name: str, expected: str) -> None:
    errors = validate_paths([Path("good"), Path("broken/campaigns") / name])
    assert [str(error) for error in errors] == [f"broken/campaigns/{name}:{expected}"]


def test_every_broken_campaign_is_covered() -> None:
    assert {path.name for path in (HERE / "broken" / "campaigns").glob("*.yaml")} == set(MISTAKES)


def _message_campaign(text: str, button: str) -> str:
    return (
        "kind: campaign\nid: c\ntitle: T\nsends:\n  message:\n"
        f"    text: {text}\n    button: {button}\n    url: https://example.com\n"
    )


def test_a_message_of_3000_characters_and_a_button_of_64_bytes_fit(tmp_path: Path) -> None:
    assert errors_of(tmp_path, _message_campaign("x" * 3000, "é" * 32)) == []


def test_one_character_or_byte_more_does_not(tmp_path: Path) -> None:
    assert errors_of(tmp_path, _message_campaign("x" * 3001, "é" * 32 + "!")) == [
        "6: sends/message/text: this message has 3,001 characters; a campaign message goes out as one "
        "chat message of at most 3,000: shorten it, or send a lesson instead",
        "7: sends/message/button: this button label takes 65 bytes; Telegram shows at most 64 (about 64 "
        "letters, or 21 in Korean, Chinese or Japanese): shorten it",
    ]


def test_a_campaign_may_name_itself_and_may_be_named_before_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: campaign\nid: a\ntitle: A\nsegment: {not_received: [a, b]}\nsends: {course: mini}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "kind: campaign\nid: b\ntitle: B\nsends: {course: mini}\n", encoding="utf-8"
    )
    assert validate_paths([tmp_path], [GOOD]) == []


def test_a_campaign_that_failed_the_schema_is_not_reported_twice(tmp_path: Path) -> None:
    text = "kind: campaign\nid: c\ntitle: T\nsends: {course: mini, lesson: 42}\n"
    assert errors_of(tmp_path, text) == [
        "4: sends/lesson: expected a string, got a number (42) (put it in quotes to make it text)"
    ]
