"""What the bot itself says (as opposed to authored content), in every locale it speaks.

A phrase missing in a locale falls back to English, so adding a language is adding one
column here; authors translate their own content in YAML. A phrase about a number gives
one text per CLDR plural category its language uses (`Plural`), so nothing says
"question(s)"; the category comes from the rules of the language the text is in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class Plural:
    """One text per CLDR plural category, chosen by the number given as `by`; a category
    without its own text uses `other`."""

    by: str
    other: str
    one: str | None = None
    few: str | None = None
    many: str | None = None

    def pick(self, category: str) -> str:
        chosen = {"one": self.one, "few": self.few, "many": self.many}.get(category)
        return chosen or self.other


def _one_is_1(count: int) -> str:
    return "one" if count == 1 else "other"


def _one_is_0_or_1(count: int) -> str:
    return "one" if count in (0, 1) else "other"


def _no_plural(_count: int) -> str:
    return "other"


_PLURAL_RULES: dict[str, Callable[[int], str]] = {
    "en": _one_is_1,
    "de": _one_is_1,
    "es": _one_is_1,
    "fr": _one_is_0_or_1,
    "pt": _one_is_0_or_1,
    "ko": _no_plural,
    "ja": _no_plural,
    "zh": _no_plural,
}
"""CLDR's cardinal rules for whole numbers, for the languages in `LANGUAGE_NAMES` (none of
them has few or many for whole numbers at chat sizes; a language that does, such as Polish
or Russian, adds its rule here)."""


def plural_category(language: str, count: int) -> str:
    """CLDR's plural category ("one", "few", "many", "other") of `count` in `language`."""
    rule = _PLURAL_RULES.get(language.split("-", 1)[0], _no_plural)
    return rule(abs(count))


LANGUAGE_NAMES = {
    "en": "English",
    "ko": "한국어",
    "zh": "中文",
    "ja": "日本語",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
}

_PHRASES: dict[str, dict[str, str | Plural]] = {
    "welcome_new": {
        "en": "Hi {name}! I teach short lessons right here in chat, and I answer product questions "
        "any time. Type help to see what I can do.",
        "ko": "안녕하세요 {name}님! 여기 채팅에서 짧은 레슨을 알려 드리고, 언제든 제품 질문에 답해 드려요. "
        "help를 입력하면 할 수 있는 일을 볼 수 있어요.",
    },
    "welcome_back": {"en": "Welcome back, {name}!", "ko": "다시 오신 걸 환영해요, {name}님!"},
    "there": {"en": "there", "ko": "고객"},
    "pick_course": {"en": "Which course would you like to take?", "ko": "어떤 코스를 들으시겠어요?"},
    "no_courses": {"en": "There are no courses yet.", "ko": "아직 코스가 없어요."},
    "unknown_course": {
        "en": "I couldn't find that course, so here is the list.",
        "ko": "그 코스를 찾지 못했어요. 목록을 보여 드릴게요.",
    },
    "course_done_mark": {"en": "✓ {title}", "ko": "✓ {title}"},
    "course_active_mark": {"en": "▶ {title}", "ko": "▶ {title}"},
    "lesson_heading": {
        "en": "📘 Lesson {number} of {total}: {title}",
        "ko": "📘 레슨 {number}/{total}: {title}",
    },
    "lesson_done": {"en": "✅ Lesson complete: {title}", "ko": "✅ 레슨 완료: {title}"},
    "lesson_skipped": {"en": "⏭ Lesson skipped: {title}", "ko": "⏭ 레슨 건너뜀: {title}"},
    "course_ended_skipped": {
        "en": "That was the last lesson of “{title}”. "
        "Take it again any time for the lessons you have not done.",
        "ko": "“{title}” 코스의 마지막 레슨이었어요. 아직 듣지 않은 레슨은 언제든 다시 들을 수 있어요.",
    },
    "next_lesson_prompt": {
        "en": "Ready for the next lesson, “{title}”?",
        "ko": "다음 레슨: “{title}”. 시작할까요?",
    },
    "next_lesson": {"en": "Next lesson", "ko": "다음 레슨"},
    "later": {"en": "Later", "ko": "나중에"},
    "see_you_later": {
        "en": "OK! Type resume whenever you're ready.",
        "ko": "좋아요! 준비되면 resume을 입력하세요.",
    },
    "course_done": {"en": "🎉 You've finished “{title}”!", "ko": "🎉 “{title}” 코스를 마쳤어요!"},
    "next_lesson_scheduled": {
        "en": "Your next lesson, “{title}”, comes {when}. See you then!",
        "ko": "다음 레슨 “{title}”, {when}에 보내 드릴게요. 그때 만나요!",
    },
    "when_today": {"en": "today at {time}", "ko": "오늘 {time}"},
    "when_tomorrow": {"en": "tomorrow at {time}", "ko": "내일 {time}"},
    "when_this_week": {"en": "on {weekday} at {time}", "ko": "{weekday} {time}"},
    "when_later": {"en": "on {day} {month} at {time}", "ko": "{month_number}월 {day}일 {time}"},
    "course_again": {
        "en": "You've already finished “{title}”. Starting it again from the first lesson.",
        "ko": "“{title}” 코스는 이미 마쳤어요. 첫 레슨부터 다시 시작할게요.",
    },
    "reprompt_choice": {
        "en": "Please pick one of the options (tap a button or type its number).",
        "ko": "보기 중 하나를 골라 주세요 (버튼을 누르거나 번호를 입력하세요).",
    },
    "reprompt_choice_console": {
        "en": "Please pick one of the options: type its number.",
        "ko": "보기 중 하나를 골라 주세요. 번호를 입력하면 돼요.",
    },
    "reprompt_score": {
        "en": "Please choose a score from {low} to {high}.",
        "ko": "{low}에서 {high} 사이의 점수를 골라 주세요.",
    },
    "expired": {
        "en": "That button has expired. Here's where we are:",
        "ko": "그 버튼은 만료되었어요. 지금 진행 중인 곳은 여기예요:",
    },
    "expired_nothing": {"en": "That button has expired.", "ko": "그 버튼은 만료되었어요."},
    "nothing_in_progress": {
        "en": "You're not in the middle of anything.",
        "ko": "진행 중인 것이 없어요.",
    },
    "progress_header": {"en": "Your progress:", "ko": "진행 상황:"},
    "progress_course": {
        "en": Plural(
            "total",
            one="• {title}: {done} of {total} lesson{status}",
            other="• {title}: {done} of {total} lessons{status}",
        ),
        "ko": "• {title}: 레슨 {total}개 중 {done}개{status}",
    },
    "progress_completed": {"en": " ✓ completed", "ko": " ✓ 완료"},
    "progress_quiz": {
        "en": "   {title}: best score {percent}%{passed}",
        "ko": "   {title}: 최고 점수 {percent}%{passed}",
    },
    "progress_passed": {"en": " (passed)", "ko": " (통과)"},
    "no_progress": {
        "en": "You haven't started a course yet. Type courses to pick one.",
        "ko": "아직 시작한 코스가 없어요. courses를 입력해 골라 보세요.",
    },
    "quiz_intro": {
        "en": Plural(
            "count", one="📝 Quiz: {title} ({count} question)", other="📝 Quiz: {title} ({count} questions)"
        ),
        "ko": "📝 퀴즈: {title} ({count}문항)",
    },
    "quiz_retry_intro": {
        "en": Plural(
            "count",
            one="📝 Retry: the question you missed",
            other="📝 Retry: the {count} questions you missed",
        ),
        "ko": "📝 다시 풀기: 틀린 {count}문항",
    },
    "quiz_right": {"en": "✅ Correct!", "ko": "✅ 정답이에요!"},
    "quiz_wrong": {"en": "❌ Not quite. The right answer: {answer}", "ko": "❌ 아쉬워요. 정답: {answer}"},
    "quiz_pass": {
        "en": "You scored {correct}/{total} ({percent}%) and passed! 🎉",
        "ko": "{total}문항 중 {correct}개 정답 ({percent}%), 통과했어요! 🎉",
    },
    "quiz_fail": {
        "en": "You scored {correct}/{total} ({percent}%). The pass mark is {mark}%.",
        "ko": "{total}문항 중 {correct}개 정답 ({percent}%). 통과 기준은 {mark}%예요.",
    },
    "quiz_retry_prompt": {
        "en": Plural(
            "count",
            one="Would you like to retry the question you missed?",
            other="Would you like to retry the {count} questions you missed?",
        ),
        "ko": "틀린 {count}문항을 다시 풀어 볼까요?",
    },
    "quiz_retry_to_pass": {
        "en": Plural(
            "count",
            one="To go on, pass the quiz: try the question you missed again.",
            other="To go on, pass the quiz: try the {count} questions you missed again.",
        ),
        "ko": "다음으로 넘어가려면 퀴즈를 통과해야 해요. 틀린 {count}문항을 다시 풀어 보세요.",
    },
    "quiz_remedial": {
        "en": "Let's go over “{title}” again, then try the quiz once more.",
        "ko": "“{title}” 레슨을 다시 살펴본 다음, 퀴즈를 한 번 더 풀어 봐요.",
    },
    "quiz_retry": {"en": "Retry missed", "ko": "다시 풀기"},
    "continue": {"en": "Continue", "ko": "계속"},
    "quiz_submit": {"en": "Submit answer", "ko": "답 제출"},
    "quiz_pick_one": {
        "en": "Pick at least one option, then submit.",
        "ko": "하나 이상 고른 다음 제출하세요.",
    },
    "quiz_multiple_hint": {
        "en": "(Choose all that apply, then submit. You can also type the numbers, e.g. 1,3.)",
        "ko": "(해당하는 것을 모두 고른 뒤 제출하세요. 1,3처럼 번호를 입력해도 돼요.)",
    },
    "survey_skip": {"en": "Skip", "ko": "건너뛰기"},
    "survey_type_answer": {"en": "Type your answer below.", "ko": "아래에 답을 입력해 주세요."},
    "nps_low": {"en": "0 = not at all likely", "ko": "0 = 전혀 아니다"},
    "nps_high": {"en": "10 = extremely likely", "ko": "10 = 매우 그렇다"},
    "csat_low": {"en": "1 = very unhappy", "ko": "1 = 매우 불만족"},
    "csat_high": {"en": "5 = very happy", "ko": "5 = 매우 만족"},
    "survey_done": {"en": "Thanks for your answers!", "ko": "답변해 주셔서 감사해요!"},
    "faq_helped": {"en": "👍 Helped", "ko": "👍 도움이 됐어요"},
    "faq_need_human": {"en": "🙋 Need a human", "ko": "🙋 상담원 연결"},
    "faq_was_it_helpful": {"en": "Did that answer your question?", "ko": "답변이 도움이 되었나요?"},
    "faq_did_you_mean": {
        "en": "I'm not sure I understood. Did you mean one of these?",
        "ko": "정확히 이해했는지 모르겠어요. 혹시 이 중 하나인가요?",
    },
    "faq_none_of_these": {"en": "None of these", "ko": "해당 없음"},
    "faq_unanswered": {
        "en": "I don't have a good answer to that yet, and I'd rather not guess. "
        "I've noted your question so the team can add an answer.",
        "ko": "아직 그 질문에 대한 좋은 답이 없어요. 추측하지 않을게요. "
        "팀이 답을 추가할 수 있도록 질문을 기록해 두었어요.",
    },
    "faq_glad": {"en": "Glad that helped!", "ko": "도움이 되어 기뻐요!"},
    "faq_noted_human": {
        "en": "I've noted that you'd like a person to help with this.",
        "ko": "상담원의 도움이 필요하다고 기록해 두었어요.",
    },
    "handoff_opened": {
        "en": "I've passed your question to our support team: a person will reply here.",
        "ko": "질문을 지원팀에 전달했어요. 담당자가 여기로 답변해 드릴 거예요.",
    },
    "handoff_hours": {"en": "Support hours: {hours}.", "ko": "상담 시간: {hours}."},
    "support_reply": {"en": "💬 {agent} from support: {text}", "ko": "💬 지원팀 {agent}: {text}"},
    "support_agent": {"en": "Someone", "ko": "담당자"},
    "handoff_resolved": {
        "en": "Support marked your question “{question}” as resolved. "
        "If anything is still unclear, just ask again.",
        "ko": "지원팀이 “{question}” 질문을 해결됨으로 표시했어요. 더 궁금한 점이 있으면 다시 물어봐 주세요.",
    },
    "faq_related_lesson": {"en": "📘 Lesson: {title}", "ko": "📘 레슨: {title}"},
    "ask_what": {
        "en": "What's your question? Type it in your own words.",
        "ko": "무엇이 궁금하세요? 편하게 입력해 주세요.",
    },
    "language_pick": {"en": "Which language would you like?", "ko": "어떤 언어를 원하세요?"},
    "language_set": {"en": "Language set to {language}.", "ko": "언어 설정: {language}."},
    "language_unknown": {
        "en": "I don't speak “{code}” yet. Available: {available}.",
        "ko": "“{code}” 언어는 아직 지원하지 않아요. 가능한 언어: {available}.",
    },
    "timezone_chosen": {
        "en": "Your time zone is {zone}, where it is {time} now.",
        "ko": "설정된 시간대: {zone} (현재 {time})",
    },
    "timezone_from_profile": {
        "en": "Your time zone is {zone} (from your profile), where it is {time} now.",
        "ko": "프로필에 있는 시간대: {zone} (현재 {time})",
    },
    "timezone_default": {
        "en": "I don't know your time zone yet, so I go by {zone}, where it is {time} now.",
        "ko": "아직 시간대를 몰라서 {zone} 기준으로 맞추고 있어요 (현재 {time}).",
    },
    "timezone_change": {
        "en": "To change it, type timezone and your city, e.g. timezone Lisbon.",
        "ko": "바꾸려면 timezone 뒤에 도시 이름을 입력하세요. 예: timezone Seoul",
    },
    "timezone_ask": {
        "en": "Which city are you in? Type timezone and the city, e.g. timezone Berlin or timezone New York.",
        "ko": "어느 도시에 계세요? timezone 뒤에 도시 이름을 입력해 주세요. "
        "예: timezone Seoul, timezone 서울",
    },
    "timezone_set": {
        "en": "Got it: {zone}, where it is {time} now.",
        "ko": "알겠어요. 시간대를 {zone}에 맞췄어요 (현재 {time}).",
    },
    "timezone_unknown": {
        "en": "I couldn't find a time zone for “{text}”. Try the nearest big city or a zone name, "
        "e.g. timezone Berlin, timezone New York or timezone Asia/Seoul.",
        "ko": "“{text}”에 맞는 시간대를 찾지 못했어요. 가까운 큰 도시나 시간대 이름으로 다시 입력해 주세요. "
        "예: timezone Seoul, timezone New York, timezone Asia/Seoul",
    },
    "timezone_did_you_mean": {
        "en": "I couldn't find a time zone for “{text}”. Did you mean {places}? "
        "Type timezone and the place again.",
        "ko": "“{text}”에 맞는 시간대를 찾지 못했어요. 혹시 {places}인가요? "
        "timezone 뒤에 다시 입력해 주세요.",
    },
    "or": {"en": " or ", "ko": " 또는 "},
    "timezone_first_ask": {
        "en": "One thing first: this course sends its lessons at set hours, and I'd like them to reach "
        "you at a good time. Type timezone and your city (e.g. timezone Berlin) whenever you like, "
        "and I'll use your local time; until then I go by {zone}.",
        "ko": "시작하기 전에 하나만요. 이 코스는 정해진 시간에 레슨을 보내 드려요. 편한 시간에 받으실 수 "
        "있도록 timezone 뒤에 도시 이름을 입력해 주시면 현지 시간에 맞출게요 (예: timezone Seoul). "
        "그 전까지는 {zone} 기준으로 보내 드려요.",
    },
    "reminder": {
        "en": "👋 Still there, {name}? You stopped in the middle of “{title}”. Here's where you left off:",
        "ko": "👋 {name}님, 아직 계세요? “{title}” 레슨을 하다 멈추셨어요. 멈춘 곳부터 이어서 할 수 있어요:",
    },
    "reminders_paused": {
        "en": "That's my last reminder: I'll stay quiet until you write to me. "
        "Whenever you do, we pick up right here.",
        "ko": "이번이 마지막 알림이에요. 메시지를 보내 주실 때까지 조용히 기다릴게요. "
        "언제든 메시지를 보내시면 바로 여기서 이어서 해요.",
    },
    "resumed_after_pause": {
        "en": "Welcome back! Let's pick up where you stopped.",
        "ko": "다시 오셨네요! 멈춘 곳부터 이어서 해요.",
    },
    "review_intro": {
        "en": Plural(
            "count",
            one="🔁 Time for a quick review: a question you missed before.",
            other="🔁 Time for a quick review: {count} questions you missed before.",
        ),
        "ko": "🔁 복습할 시간이에요. 전에 틀렸던 문제 {count}개예요.",
    },
    "review_done": {
        "en": "Review done: {correct} of {total} right. Anything you missed comes back in a few days.",
        "ko": "복습 끝! {total}문제 중 {correct}문제를 맞혔어요. 틀린 문제는 며칠 뒤에 다시 나와요.",
    },
    "survey_heading": {"en": "📝 {title}", "ko": "📝 {title}"},
    "campaign_course_offer": {
        "en": "✨ New for you: {title}. Start it whenever you like.",
        "ko": "✨ 새 코스가 있어요: {title}. 원할 때 시작하세요.",
    },
    "campaign_course_start": {"en": "Start", "ko": "시작"},
    "stopped": {
        "en": "Done: I won't send you lessons or reminders any more. "
        "Type start whenever you want to come back.",
        "ko": "알겠어요. 더 이상 레슨이나 알림을 보내지 않을게요. 돌아오고 싶으면 start를 입력하세요.",
    },
    "resubscribed": {"en": "You're subscribed again.", "ko": "다시 구독되었어요."},
    "invite_link": {
        "en": "Here's your personal invite link. Share it with a colleague or friend: "
        "whoever starts through it joins as your referral.",
        "ko": "나만의 초대 링크예요. 동료나 친구에게 공유해 주세요. "
        "이 링크로 시작한 분은 내 추천으로 기록돼요.",
    },
    "invite_unavailable": {
        "en": "Invite links aren't set up here yet, sorry.",
        "ko": "죄송해요, 여기서는 아직 초대 링크를 쓸 수 없어요.",
    },
    "link_not_an_email": {
        "en": "That doesn't look like an email address. "
        "Could you type the one you use with us, like name@example.com?",
        "ko": "이메일 주소가 아닌 것 같아요. 저희와 쓰시는 주소를 name@example.com 처럼 입력해 주시겠어요?",
    },
    "link_thanks": {"en": "Thanks!", "ko": "고마워요!"},
    "help": {
        "en": "Here's what I understand:\n"
        "• start: begin\n"
        "• courses: pick a course\n"
        "• resume: continue where you left off\n"
        "• progress: see how far you are\n"
        "• ask <question>: ask anything about the product (or just type it)\n"
        "• language: change the language\n"
        "• timezone: set your time zone (a city is fine)\n"
        "• stop: no more messages from me\n"
        "• invite: your link to invite a colleague or friend\n"
        "• help: this list",
        "ko": "제가 이해하는 명령이에요:\n"
        "• start: 시작하기\n"
        "• courses: 코스 고르기\n"
        "• resume: 하던 곳부터 계속하기\n"
        "• progress: 진행 상황 보기\n"
        "• ask <질문>: 제품에 대해 무엇이든 묻기 (그냥 입력해도 돼요)\n"
        "• language: 언어 바꾸기\n"
        "• timezone: 시간대 설정 (도시 이름도 돼요)\n"
        "• stop: 메시지 그만 받기\n"
        "• invite: 동료나 친구를 초대하는 내 링크\n"
        "• help: 이 목록",
    },
    "unknown_command": {
        "en": "I don't know the command “{command}”.",
        "ko": "“{command}” 명령은 모르겠어요.",
    },
    "apology": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "ko": "죄송해요, 제 쪽에서 문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
    },
}


def normal_locale(code: str) -> str:
    """A locale as the bot compares them: `pt_BR` and `PT-br` are both `pt-br`."""
    return code.strip().casefold().replace("_", "-")


def learner_locale(chosen: str | None, reported: str | None, default: str) -> str:
    """What a learner is spoken to in: their own choice, else what their platform reports,
    else the content's default. The one place that order is decided."""
    return chosen or (normal_locale(reported) if reported else "") or default


def phrase(key: str, locale: str, **values: object) -> str:
    """The bot's own text `key` in `locale` (or English), with `values` filled in."""
    variants = _PHRASES[key]
    language = next((code for code in (locale, locale.split("-", 1)[0]) if code in variants), FALLBACK_LOCALE)
    text = variants[language]
    if isinstance(text, Plural):
        count = values[text.by]
        if not isinstance(count, int):
            raise TypeError(f"phrase {key!r} counts {text.by!r}, which must be an int, not {count!r}")
        text = text.pick(plural_category(language, count))
    return text.format(**values) if values else text


WEEKDAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ko": ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
}
MONTH_NAMES = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def when(local: datetime, today: date, locale: str) -> str:
    """When something happens, as the learner would say it: "tomorrow at 09:00", "on Monday
    at 09:00", "on 14 December at 09:00"; `local` and `today` are on the learner's clock."""
    language = locale.split("-", 1)[0]
    days = (local.date() - today).days
    time_of_day = local.strftime("%H:%M")
    if days <= 0:
        return phrase("when_today", locale, time=time_of_day)
    if days == 1:
        return phrase("when_tomorrow", locale, time=time_of_day)
    if days < 7:
        weekday = WEEKDAY_NAMES.get(language, WEEKDAY_NAMES[FALLBACK_LOCALE])[local.weekday()]
        return phrase("when_this_week", locale, weekday=weekday, time=time_of_day)
    month = MONTH_NAMES.get(language, MONTH_NAMES[FALLBACK_LOCALE])[local.month - 1]
    return phrase(
        "when_later", locale, day=local.day, month=month, month_number=local.month, time=time_of_day
    )


def phrase_keys() -> tuple[str, ...]:
    return tuple(_PHRASES)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
