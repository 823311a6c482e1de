"""Rendering replies as Block Kit: escaped, within every limit, long content split.

Each rendered message is checked with `tests.slack.block_kit`, the fake Slack's own rules,
written independently of the renderer.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

from bot.adapters.slack.blocks import SlackMessage, render
from bot.adapters.slack.updates import accepted
from bot.content.loader import load_content
from bot.engine import Engine
from bot.messages import (
    Choice,
    ChoicePrompt,
    ImageReply,
    LinkReply,
    QuizQuestionReply,
    RatingScale,
    Reply,
    TextReply,
)
from storage.db import Database
from tests.slack.block_kit import message_problems
from tests.slack.harness import slack_world


def checked(replies: list[Reply]) -> list[SlackMessage]:
    messages = render(replies)
    for message in messages:
        assert message_problems(message.text, list(message.blocks)) == []
    return messages


def section_texts(*messages: SlackMessage) -> list[str]:
    return [block["text"]["text"] for m in messages for block in m.blocks if block["type"] == "section"]


def test_text_is_escaped_so_a_learner_cannot_mention_everyone() -> None:
    [message] = checked([TextReply("Project “<!channel> & <https://evil.example|click>”")])
    expected = "Project “&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;”"
    assert message == SlackMessage(
        expected, ({"type": "section", "text": {"type": "mrkdwn", "text": expected}},)
    )


def test_nps_is_one_row_of_eleven_buttons_with_the_scale_labels() -> None:
    choices = tuple(Choice(f"4.{n}", str(n)) for n in range(11))
    [message] = checked([RatingScale("How likely?", choices, "0 = not at all", "10 = extremely", "4")])
    assert [block["type"] for block in message.blocks] == ["section", "actions", "context"]
    buttons = message.blocks[1]["elements"]
    assert [(b["text"]["text"], b["value"], b["action_id"]) for b in buttons] == [
        (str(n), f"4.{n}", f"choice-{n}") for n in range(11)
    ]
    assert message.prompt_id == "4"
    assert message.blocks[2]["elements"][0]["text"] == "0 = not at all · 10 = extremely"


def test_more_than_25_choices_take_several_rows_with_unique_ids() -> None:
    choices = tuple(Choice(f"7.{n}", f"Option {n}") for n in range(30))
    [message] = checked([ChoicePrompt("Pick one", choices, "7")])
    rows = [block for block in message.blocks if block["type"] == "actions"]
    assert [(row["block_id"], len(row["elements"])) for row in rows] == [("ask:7:a0", 25), ("ask:7:a1", 5)]


def test_a_label_too_long_for_a_button_is_cut_and_shown_in_full_in_the_text() -> None:
    label = "A very long answer " * 6
    [message] = checked([ChoicePrompt("Which?", (Choice("1.0", label), Choice("1.1", "Short")), "1")])
    buttons = [element["text"]["text"] for element in message.blocks[-1]["elements"]]
    assert buttons[0].startswith("1. A very long answer")
    assert buttons[0].endswith("…")
    assert len(buttons[0]) == 75
    assert buttons[1] == "2. Short"
    assert section_texts(message) == [f"Which?\n1. {label}\n2. Short"]


def test_long_text_is_cut_at_paragraph_breaks_without_losing_a_word() -> None:
    paragraphs = [f"Paragraph {n}: " + "word & more " * 60 for n in range(20)]
    messages = checked([TextReply("\n\n".join(paragraphs))])
    pieces = section_texts(*messages)
    assert len(messages) == 2  # over the ~12,000 characters a message takes
    assert len(pieces) > 3
    assert all(piece.startswith("Paragraph ") for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(" ".join(paragraphs).replace("&", "&amp;").split())


def test_an_escape_is_never_cut_in_half() -> None:
    messages = checked([TextReply("&" * 4000)])
    assert all(piece.endswith(";") for piece in section_texts(*messages))
    assert "".join(section_texts(*messages)) == "&amp;" * 4000


def test_replies_beyond_fifty_blocks_continue_in_the_next_message() -> None:
    messages = checked([TextReply(f"Step {n}") for n in range(60)])
    assert [len(message.blocks) for message in messages] == [50, 10]


def test_images_links_and_quiz_questions() -> None:
    quiz = QuizQuestionReply(
        question="Which <two>?",
        choices=(Choice("3.0", "A"), Choice("3.1", "B"), Choice("3.2", "C")),
        correct=("3.0", "3.1"),
        multiple=True,
        explanation="",
        prompt_id="3",
        number=2,
        total=4,
        selected=("3.1",),
        submit=Choice("3.3", "Submit answer"),
    )
    image = ImageReply("https://example.test/board.png", "A board", "The board")
    link = LinkReply("https://example.test/help", "Help & guides")
    [message] = checked([image, link, quiz])
    assert message.blocks[0] == {"type": "image", "image_url": image.url, "alt_text": "A board"}
    assert section_texts(message) == [
        "The board",
        "🔗 <https://example.test/help|Help &amp; guides>",
        "*2/4*  Which &lt;two&gt;?",
    ]
    assert message.prompt_id == "3"
    buttons = message.blocks[-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["☐ A", "☑ B", "☐ C", "Submit answer"]
    assert buttons[-1]["style"] == "primary"


def test_a_pressed_prompt_shows_the_choice_and_loses_its_buttons() -> None:
    [message] = render(
        [TextReply("Intro"), ChoicePrompt("Ready?", (Choice("5.0", "Yes"), Choice("5.1", "No")), "5")]
    )
    changed = accepted(message.blocks, "5", "Yes <3", "Well done")
    assert changed is not None
    assert [block.get("block_id") for block in changed.blocks] == [None, "ask:5:t", "ask:5:done", None]
    assert changed.text == "Intro\nReady?\n✓ *Yes &lt;3*\nWell done"
    assert accepted(changed.blocks, "5", "Yes") is None  # a second press changes nothing


def test_random_replies_always_render_within_the_limits() -> None:
    rng = random.Random(4)

    def words(count: int) -> str:
        return " ".join(
            rng.choice(["tasks", "<b>", "&", "board", "\n\n", "🎉", "x" * 80]) for _ in range(count)
        )

    for _ in range(200):
        replies: list[Reply] = []
        for _ in range(rng.randint(1, 30)):
            kind = rng.randrange(4)
            if kind == 0:
                replies.append(TextReply(words(rng.choice([1, 10, 700, 3000]))))
            elif kind == 1:
                prompt = str(rng.randint(1, 99))
                choices = tuple(
                    Choice(f"{prompt}.{i}", words(rng.randint(1, 12))) for i in range(rng.randint(1, 40))
                )
                replies.append(ChoicePrompt(words(rng.randint(1, 900)), choices, prompt))
            elif kind == 2:
                replies.append(ImageReply("https://example.test/i.png", words(3), words(rng.randint(0, 600))))
            else:
                replies.append(LinkReply("https://example.test/l", words(rng.randint(1, 20))))
        checked(replies)


def test_a_very_long_lesson_is_split_across_messages(tmp_path: Path, database: Database) -> None:
    long_step = "\n\n".join(f"Part {n}. " + "Boards keep work visible. " * 30 for n in range(12))
    says = [f"Step {n}: " + "Due dates & owners matter. " * 10 for n in range(70)] + [long_step]
    steps = "".join(f"      - say: {{en: {json.dumps(text)}}}\n" for text in says)
    (tmp_path / "long.yaml").write_text(
        "kind: course\nid: long\ndefault_locale: en\ntitle: {en: The long one}\nlessons:\n"
        f"  - id: only\n    title: {{en: Everything}}\n    steps:\n{steps}",
        encoding="utf-8",
    )
    engine = Engine(load_content([tmp_path]), database)

    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            await learner.say("start long")
            posts = world.fake.made("chat.postMessage")
            assert len(posts) >= 3
            shown = " ".join(
                block["text"]["text"]
                for post in posts
                for block in post.args["blocks"]
                if block["type"] == "section"
            )
            for text in says:
                assert " ".join(text.replace("&", "&amp;").split()) in " ".join(shown.split())

    asyncio.run(scenario())
