"""Where a learner is in the conversation, kept in the database between events.

The conversation is a stack of flows: a lesson that runs a quiz has the quiz on top, and
when the quiz ends the lesson continues. `OpenPrompt`s remember which buttons are live, so
a press is matched to what it meant when it was sent, and a stale or repeated press can be
recognised. It is stored as JSON on the learner row; nothing here survives only in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

MAX_OPEN_PROMPTS = 8
"""Older prompts are forgotten: their buttons then count as expired."""


@dataclass
class LessonFrame:
    course_id: str
    lesson_id: str
    step: int
    """The step waiting for the learner, or the next one to run."""
    skipped: bool = False
    """A `goto: skip` was taken: the lesson ends as skipped, not completed."""


@dataclass
class QuizFrame:
    quiz_id: str
    attempt_id: int
    question_ids: list[str]
    position: int = 0
    selected: list[str] = field(default_factory=list)
    """Options toggled so far on a multiple-answer question."""
    finished: bool = False
    """All questions answered; waiting for "retry missed" or "continue"."""
    correct: int = 0
    """Questions right so far in the whole quiz (a retry starts with the earlier ones)."""
    missed: list[str] = field(default_factory=list)
    """Questions answered wrongly in this attempt, for "retry missed"."""
    review_course: str | None = None
    """Set for a review round of missed questions (`bot.flows.review`): the course whose
    schedule it keeps. A round records no attempt and offers no retry."""


class SurveyWait(StrEnum):
    ANSWER = "answer"
    FOLLOW_UP = "follow_up"


@dataclass
class SurveyFrame:
    survey_id: str
    response_id: int
    position: int = 0
    waiting_for: SurveyWait = SurveyWait.ANSWER
    answer_id: int | None = None
    """The score answer a follow-up comment belongs to."""


Frame = LessonFrame | QuizFrame | SurveyFrame


class PromptKind(StrEnum):
    COURSE = "course"
    LESSON_CHOICE = "lesson"
    NEXT_LESSON = "next_lesson"
    QUIZ_ANSWER = "quiz"
    QUIZ_AFTER = "quiz_after"
    SURVEY_SCORE = "survey"
    SURVEY_SKIP = "survey_skip"
    FAQ_FEEDBACK = "faq_feedback"
    FAQ_PICK = "faq_pick"
    OPEN_LESSON = "open_lesson"
    LANGUAGE = "language"


@dataclass
class OpenPrompt:
    seq: int
    kind: PromptKind
    values: list[str]
    labels: list[str]
    context: str = ""
    """What the prompt belongs to (a lesson step, a quiz attempt, a FAQ question row)."""


@dataclass
class Conversation:
    stack: list[Frame] = field(default_factory=list)
    prompts: list[OpenPrompt] = field(default_factory=list)
    prompt_seq: int = 0

    @property
    def active(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def open_prompt(
        self, kind: PromptKind, values: list[str], labels: list[str], context: str = ""
    ) -> OpenPrompt:
        """Register a set of buttons; the oldest are forgotten past the limit.

        Showing the same question again (after a re-prompt or a restart) reuses its open
        prompt, so the buttons already on the learner's screen keep working.
        """
        same = next(
            (
                p
                for p in self.prompts
                if (p.kind, p.context, p.values, p.labels) == (kind, context, values, labels)
            ),
            None,
        )
        if same is not None and context:
            self.prompts = [*(p for p in self.prompts if p is not same), same]
            return same
        self.prompt_seq += 1
        prompt = OpenPrompt(self.prompt_seq, kind, values, labels, context)
        self.prompts = [*self.prompts, prompt][-MAX_OPEN_PROMPTS:]
        return prompt

    def find_prompt(self, seq: int) -> OpenPrompt | None:
        return next((prompt for prompt in self.prompts if prompt.seq == seq), None)

    def close_prompt(self, seq: int) -> None:
        self.prompts = [prompt for prompt in self.prompts if prompt.seq != seq]

    def close_prompts_of(self, kind: PromptKind, *, keep_context: str | None = None) -> None:
        """Forget every open prompt of `kind` (but the one for `keep_context`)."""
        self.prompts = [p for p in self.prompts if p.kind is not kind or p.context == keep_context]

    def latest_prompt(self) -> OpenPrompt | None:
        return self.prompts[-1] if self.prompts else None


def choice_id(prompt: OpenPrompt, index: int) -> str:
    """The opaque id of option `index` of `prompt`: short enough for any platform."""
    return f"{prompt.seq}.{index}"


def parse_choice_id(raw: str) -> tuple[int, int] | None:
    seq, dot, index = raw.partition(".")
    if not dot or not seq.isdigit() or not index.isdigit():
        return None
    return int(seq), int(index)


# --- JSON ---------------------------------------------------------------------------

_FRAME_TYPES: dict[str, type[LessonFrame] | type[QuizFrame] | type[SurveyFrame]] = {
    "lesson": LessonFrame,
    "quiz": QuizFrame,
    "survey": SurveyFrame,
}
_FRAME_NAMES = {frame_type: name for name, frame_type in _FRAME_TYPES.items()}


def dump_conversation(conversation: Conversation) -> str:
    # vars() rather than dataclasses.asdict: the fields are flat, and asdict's deep copy
    # showed up in the engine benchmark (this runs on every event).
    stack = [{"type": _FRAME_NAMES[type(frame)], **vars(frame)} for frame in conversation.stack]
    prompts = [vars(prompt) for prompt in conversation.prompts]
    return json.dumps(
        {"stack": stack, "prompts": prompts, "seq": conversation.prompt_seq}, ensure_ascii=False
    )


def load_conversation(raw: str) -> Conversation:
    """The stored conversation; an empty or unreadable one starts afresh."""
    if not raw:
        return Conversation()
    data = json.loads(raw)
    stack: list[Frame] = []
    for item in data.get("stack", []):
        frame_type = _FRAME_TYPES[item.pop("type")]
        frame = frame_type(**item)
        if isinstance(frame, SurveyFrame):
            frame.waiting_for = SurveyWait(frame.waiting_for)
        stack.append(frame)
    prompts = [
        OpenPrompt(p["seq"], PromptKind(p["kind"]), p["values"], p["labels"], p.get("context", ""))
        for p in data.get("prompts", [])
    ]
    return Conversation(stack, prompts, int(data.get("seq", 0)))
