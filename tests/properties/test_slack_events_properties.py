"""`/slack/events` (Events API, interactivity and `/learn`) under malformed but properly
signed requests: none gets a 5xx, none logs a traceback, none changes a learner's state.

The real adapter (Bolt and all, `tests/slack/harness.py`) runs over HTTP on 127.0.0.1
against the fake Slack, on an event loop in a thread of its own; Hypothesis drives it from
the test's thread. One learner is seeded first, in a lesson with a prompt open, so there is
state a request could change: the well-formed versions of the mutated requests (typing
"1" at the prompt, pressing its first button, `/learn courses`) do change it, which each
test checks at the end so the property cannot hold vacuously.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from hypothesis import strategies as st

from bot.adapters.slack.app import EVENTS_PATH
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.properties.malformed import (
    Field,
    Json,
    Mutation,
    Raw,
    json_values,
    mutations,
    not_an_object,
    raw_bodies,
)
from tests.properties.watch import (
    Served,
    Tracebacks,
    changes,
    for_all,
    fresh_database,
    served,
    shown,
    snapshot,
    watching_tracebacks,
)
from tests.slack.fake_records import BOT_USER, Message
from tests.slack.harness import SIGNING_SECRET, TEAM, World, slack_world
from tests.slack.payloads import command_form, direct_message, event_body, press_payload, serial

USER = "U0ANN"
CHANNEL = "DU0ANN"
FORM = "application/x-www-form-urlencoded"


def signed(body: bytes, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (`tests.slack.harness.sign` takes text)."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackDoor:
    loop: Served
    world: World
    database: Database
    logged: Tracebacks
    prompt: Message
    """The DM message with the open prompt's buttons."""

    async def _post(self, body: bytes, content_type: str | None) -> int:
        headers = signed(body)
        if content_type is not None:
            headers["Content-Type"] = content_type
        async with self.world.session.post(
            self.world.url + EVENTS_PATH, data=body, headers=headers
        ) as answer:
            await answer.read()
            status = answer.status
        await self.world.bot.drained()
        return status

    def send(self, body: bytes, content_type: str | None) -> tuple[int, list[str], list[str], list[str]]:
        """(status, tracebacks logged, learner state changed, fake Slack's complaints)."""
        before = snapshot(self.database)
        status = self.loop.run(self._post(body, content_type))
        after = snapshot(self.database)
        violations = self.loop.call(lambda: _take(self.world.fake.violations))
        return status, self.logged.take(), changes(before, after), violations

    def check(self, what: object, body: bytes, content_type: str | None) -> None:
        status, tracebacks, changed, violations = self.send(body, content_type)
        sent = f"request: {what!r}\ncontent type: {content_type}\nbody: {shown(body)}"
        assert status < 500, f"HTTP {status} for a malformed request\n{sent}\n" + "\n".join(tracebacks)
        assert tracebacks == [], f"a traceback was logged\n{sent}\n" + "\n\n".join(tracebacks)
        assert changed == [], f"a learner's state changed\n{sent}\n" + "\n".join(changed)
        assert violations == [], f"the adapter broke Slack's rules\n{sent}\n{violations}"

    def expect_change(self, body: bytes, content_type: str) -> None:
        """The well-formed request does change the state the property watches.

        It answers or moves past the open prompt, so a fresh one is opened for the tests after."""
        status, tracebacks, changed, _ = self.send(body, content_type)
        assert (status, tracebacks) == (200, [])
        assert changed != [], "the well-formed request changed nothing: the property would hold vacuously"
        self.prompt = self.loop.run(open_a_prompt(self.world))

    # --- well-formed documents, built fresh each time -----------------------------------

    def message_body(self, text: str = "1") -> Json:
        return event_body(TEAM, direct_message(CHANNEL, USER, text), f"Ev{serial():08d}")

    def press_body(self) -> Json:
        return press_payload(TEAM, USER, self.prompt, self.prompt.buttons()[0])

    def command(self, text: str = "courses") -> dict[str, str]:
        response_url = self.loop.call(lambda: self.world.fake.response_url(TEAM, "C0GENERAL", USER))
        return command_form(TEAM, USER, "C0GENERAL", text, response_url)


def _take(found: list[str]) -> list[str]:
    taken = list(found)
    found.clear()
    return taken


def as_json(document: object) -> bytes:
    return json.dumps(document).encode()


def as_payload_form(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


async def open_a_prompt(world: World) -> Message:
    """Puts the learner at a prompt with buttons and returns it: the first course's next step,
    answering the text prompts on the way (a name for the first project, say)."""
    learner = world.learner(USER)
    await learner.say("courses")
    menu = learner.dm()[-1]
    await world.transport.interaction(learner.press_payload(menu, menu.buttons()[0]))
    await world.bot.drained()
    for _ in range(10):
        prompt = learner.dm()[-1]
        if prompt.buttons():
            return prompt
        await learner.say("Launch plan")
    raise AssertionError(f"the learner should be at a prompt with buttons, not at {prompt!r}")


@pytest.fixture(scope="module")
def door(bundled_content: ContentPack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackDoor]:
    """One adapter for the module's tests (starting one costs seconds on a busy machine)."""
    with (
        fresh_database(tmp_path_factory.mktemp("slack")) as database,
        served() as loop,
        loop.holding(slack_world(Engine(bundled_content, database), "http")) as world,
    ):
        prompt = loop.run(open_a_prompt(world))
        with watching_tracebacks() as logged:
            yield SlackDoor(loop, world, database, logged, prompt)


# --- 1. bodies that are not Slack's at all ---------------------------------------------

payload_forms = st.one_of(
    st.text(max_size=200).map(lambda text: urlencode({"payload": text}).encode()),
    not_an_object.map(as_payload_form),
    json_values.map(as_payload_form),
    st.dictionaries(st.sampled_from(["user", "actions", "container", "team", "view", "message"]), json_values)
    .flatmap(
        lambda rest: st.sampled_from(
            ["block_actions", "view_submission", "shortcut", "message_action", "interactive_message", ""]
        ).map(lambda kind: {"type": kind, **rest})
    )
    .map(as_payload_form),
).map(lambda body: Raw(body, FORM))


def _check_raw(door: SlackDoor, sent: Raw) -> None:
    door.check(sent, sent.body, sent.content_type)


def test_random_bodies_and_payload_forms(door: SlackDoor) -> None:
    for_all(st.one_of(raw_bodies(), payload_forms), lambda sent: _check_raw(door, sent), examples=250)


# --- 2. an event with a field removed or of the wrong type -----------------------------

MESSAGE_FIELDS = [
    Field(("type",), str),
    Field(("team_id",), str),
    Field(("event_id",), str),
    Field(("event",), dict),
    Field(("event", "type"), str),
    Field(("event", "user"), str),
    Field(("event", "channel"), str),
    Field(("event", "channel_type"), str),
    Field(("event", "text"), str),
]
HOME_FIELDS = [
    Field(("team_id",), str),
    Field(("event_id",), str),
    Field(("event", "user"), str),
    Field(("event", "channel"), str),
    Field(("event", "tab"), str),
]
CHALLENGE_FIELDS = [Field(("challenge",), str), Field(("type",), str)]


@dataclass(frozen=True)
class Mutated:
    document: str
    """Which well-formed document: message, home_opened, url_verification, press."""
    mutation: Mutation

    def __repr__(self) -> str:
        return f"<{self.document} with {self.mutation!r}>"


def home_opened(door: SlackDoor) -> Json:
    event = {"type": "app_home_opened", "user": USER, "channel": CHANNEL, "tab": "messages"}
    return event_body(TEAM, event, f"Ev{serial():08d}")


def url_verification(_door: SlackDoor) -> Json:
    return {"token": "verification-token", "challenge": f"challenge-{serial()}", "type": "url_verification"}


EVENT_DOCUMENTS: dict[str, Callable[[SlackDoor], Json]] = {
    "message": lambda door: door.message_body(),
    "home_opened": home_opened,
    "url_verification": url_verification,
}

mutated_events = st.one_of(
    mutations(MESSAGE_FIELDS).map(lambda mutation: Mutated("message", mutation)),
    mutations(HOME_FIELDS).map(lambda mutation: Mutated("home_opened", mutation)),
    mutations(CHALLENGE_FIELDS).map(lambda mutation: Mutated("url_verification", mutation)),
)


def _check_event(door: SlackDoor, sent: Mutated) -> None:
    body = sent.mutation.apply(EVENT_DOCUMENTS[sent.document](door))
    door.check(sent, as_json(body), "application/json")


def test_events_with_a_field_removed_or_of_the_wrong_type(door: SlackDoor) -> None:
    for_all(mutated_events, lambda sent: _check_event(door, sent), examples=300)
    door.expect_change(as_json(door.message_body()), "application/json")


# --- 3. events the bot does not handle -------------------------------------------------


def _unknown_events(kind: str) -> Json:
    now = f"{time.time():.6f}"
    item = {"type": "message", "channel": CHANNEL, "ts": now}
    events: dict[str, Json] = {
        "reaction_added": {"type": "reaction_added", "user": USER, "reaction": "+1", "item": item},
        "app_mention": {
            "type": "app_mention",
            "user": USER,
            "text": f"<@{BOT_USER}> 1",
            "channel": "C0GENERAL",
            "ts": now,
        },
        "channel_message": {**direct_message("C0GENERAL", USER, "1"), "channel_type": "channel"},
        "edited": {**direct_message(CHANNEL, USER, "1"), "subtype": "message_changed"},
        "from_a_bot": {**direct_message(CHANNEL, USER, "1"), "bot_id": "B0OTHER"},
        "member_joined_channel": {"type": "member_joined_channel", "user": USER, "channel": "C0GENERAL"},
        "pin_added": {"type": "pin_added", "user": USER, "channel_id": CHANNEL, "item": item},
    }
    return events[kind] if kind in events else {**direct_message(CHANNEL, USER, "1"), "type": kind}


@dataclass(frozen=True)
class Unknown:
    event_type: str

    def __repr__(self) -> str:
        return f"<an event of type {self.event_type!r}>"


unknown_events = st.one_of(
    st.sampled_from(
        [
            "reaction_added",
            "app_mention",
            "channel_message",
            "edited",
            "from_a_bot",
            "member_joined_channel",
            "pin_added",
        ]
    ),
    st.text(min_size=1, max_size=30).filter(lambda kind: kind not in ("message", "app_home_opened")),
).map(Unknown)


def _check_unknown(door: SlackDoor, sent: Unknown) -> None:
    body = event_body(TEAM, _unknown_events(sent.event_type), f"Ev{serial():08d}")
    door.check(sent, as_json(body), "application/json")


def test_events_the_bot_does_not_handle(door: SlackDoor) -> None:
    for_all(unknown_events, lambda sent: _check_unknown(door, sent), examples=100)


# --- 4. a button press with a field removed or of the wrong type ----------------------

PRESS_FIELDS = [
    Field(("type",), str),
    Field(("user",), dict),
    Field(("user", "id"), str),
    Field(("actions",), list),
    Field(("actions", 0), dict),
    Field(("actions", 0, "action_id"), str),
    Field(("actions", 0, "block_id"), str),
    Field(("actions", 0, "value"), str),
    Field(("actions", 0, "action_ts"), str),
    Field(("container",), dict),
    Field(("container", "type"), str),
    Field(("container", "message_ts"), str),
    Field(("container", "channel_id"), str, required=False, truthy_only=True),
    Field(("message",), dict, required=False, truthy_only=True),
    Field(("message", "blocks"), list, required=False, truthy_only=True),
    Field(("team",), dict, required=False, truthy_only=True),
    Field(("team", "id"), str, required=False, truthy_only=True),
]
EMPTIED = [
    Mutation(("actions",), []),
    Mutation(("actions",), [{}]),
    Mutation(("actions",), [None]),
    Mutation(("container",), {}),
    Mutation(("user",), {}),
]

mutated_presses = st.one_of(mutations(PRESS_FIELDS), st.sampled_from(EMPTIED)).map(
    lambda mutation: Mutated("press", mutation)
)


def _check_press(door: SlackDoor, sent: Mutated) -> None:
    body = sent.mutation.apply(door.press_body())
    door.check(sent, as_payload_form(body), FORM)


def test_presses_with_a_field_removed_or_of_the_wrong_type(door: SlackDoor) -> None:
    for_all(mutated_presses, lambda sent: _check_press(door, sent), examples=250)
    door.expect_change(as_payload_form(door.press_body()), FORM)


# --- 5. `/learn` with a field left out -------------------------------------------------


@dataclass(frozen=True)
class Command:
    left_out: str
    text: str

    def __repr__(self) -> str:
        return f"</learn {self.text!r} without {self.left_out}>"


commands = st.builds(
    Command,
    st.sampled_from(["command", "team_id", "user_id", "trigger_id", "response_url"]),
    st.sampled_from(["courses", "progress", "resume", "1", "ask how do I add a task"]) | st.text(max_size=40),
)


def _check_command(door: SlackDoor, sent: Command) -> None:
    form = door.command(sent.text)
    del form[sent.left_out]
    door.check(sent, urlencode(form).encode(), FORM)


def test_commands_with_a_field_left_out(door: SlackDoor) -> None:
    for_all(commands, lambda sent: _check_command(door, sent), examples=100)
    door.expect_change(urlencode(door.command("courses")).encode(), FORM)
