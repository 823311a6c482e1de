"""A learner whose platform gives no name reads sentences without it, not "Thank you, !"."""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import load_content
from bot.content.templates import LearnerView, render_text

ROOT = Path(__file__).resolve().parents[2]
NOBODY = LearnerView("", "", "en", "console", {})
ADA = LearnerView("Ada", "Ada Lovelace", "en", "console", {})


def test_the_bundled_texts_read_naturally_with_and_without_a_name() -> None:
    pack = load_content([ROOT / "content"])
    nps, csat = pack.surveys["nps"].thank_you, pack.surveys["csat"].thank_you
    assert nps is not None
    assert csat is not None
    lessons = {lesson.id: lesson for lesson in pack.courses["onboarding"].lessons}
    texts = [
        nps.pick("en"),
        csat.pick("en"),
        *(step.action.text.pick("en") for step in lessons["wrap-up"].steps if hasattr(step.action, "text")),
    ]
    assert [render_text(text, NOBODY, {"project_name": "Launch"}) for text in texts[:2]] == [
        "Thank you! Every answer is read by a real person on our team.",
        "Thanks! That helps us make these lessons better.",
    ]
    assert [render_text(text, ADA, {}) for text in texts[:2]] == [
        "Thank you, Ada! Every answer is read by a real person on our team.",
        "Thanks, Ada! That helps us make these lessons better.",
    ]
    rendered = " ".join(render_text(text, NOBODY, {"project_name": "Launch"}) for text in texts[2:])
    assert ", there" not in rendered
