"""xAPI 1.0.3 statements as typed values, and the JSON an LRS takes.

Only the parts of the spec Lessonloop fills are modelled; `as_json` leaves out what is
unknown rather than sending nulls, which the spec forbids for most properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

XAPI_VERSION = "1.0.3"

LESSON = "http://adlnet.gov/expapi/activities/lesson"
COURSE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
SURVEY = "http://id.tincanapi.com/activitytype/survey"
"""ADL's vocabulary has no survey type; this is the registry's (id.tincanapi.com) one."""


@dataclass(frozen=True)
class Verb:
    id: str
    display: str
    """In `en-US`, as ADL's vocabulary words it."""


COMPLETED = Verb("http://adlnet.gov/expapi/verbs/completed", "completed")
ANSWERED = Verb("http://adlnet.gov/expapi/verbs/answered", "answered")
PASSED = Verb("http://adlnet.gov/expapi/verbs/passed", "passed")
FAILED = Verb("http://adlnet.gov/expapi/verbs/failed", "failed")


@dataclass(frozen=True)
class Actor:
    """A learner as an Agent identified by their platform account, never by email: the
    platform id is what Lessonloop knows for sure."""

    home_page: str
    account_name: str
    name: str = ""


@dataclass(frozen=True)
class InteractionComponent:
    """One choice of a question, or one point of a rating scale."""

    id: str
    description: Mapping[str, str]


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    name: Mapping[str, str]
    """A language map (locale to text); empty when the content no longer has the activity."""
    interaction_type: str | None = None
    """`choice` or `likert` on a cmi.interaction."""
    choices: tuple[InteractionComponent, ...] = ()
    scale: tuple[InteractionComponent, ...] = ()
    correct_responses: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Score:
    scaled: float
    raw: int | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Result:
    success: bool | None = None
    completion: bool | None = None
    response: str | None = None
    score: Score | None = None
    duration: timedelta | None = None


@dataclass(frozen=True)
class Context:
    registration: UUID | None = None
    """The enrolment the statement belongs to: an LRS groups an attempt at a course by it."""
    parent: tuple[Activity, ...] = ()
    grouping: tuple[Activity, ...] = ()
    platform: str | None = None


@dataclass(frozen=True)
class Statement:
    id: UUID
    actor: Actor
    verb: Verb
    object: Activity
    timestamp: datetime
    result: Result | None = None
    context: Context | None = None


def as_json(statement: Statement) -> dict[str, object]:
    """The statement as xAPI JSON, `authority` and `stored` left to the LRS."""
    shown: dict[str, object] = {
        "id": str(statement.id),
        "actor": _actor(statement.actor),
        "verb": {"id": statement.verb.id, "display": {"en-US": statement.verb.display}},
        "object": _activity(statement.object),
    }
    if statement.result is not None:
        shown["result"] = _result(statement.result)
    if statement.context is not None:
        shown["context"] = _context(statement.context)
    shown["timestamp"] = timestamp(statement.timestamp)
    shown["version"] = XAPI_VERSION
    return shown


def timestamp(at: datetime) -> str:
    """UTC, to the millisecond, with `Z`."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(length: timedelta) -> str:
    """ISO 8601, to the hundredth of a second the spec asks LRSs to keep: `PT1H2M3.5S`."""
    hundredths = max(0, round(length.total_seconds() * 100))
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    seconds = f"{rest // 100}.{rest % 100:02d}".rstrip("0").rstrip(".")
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return f"PT{parts}{seconds}S" if rest or not parts else f"PT{parts}"


def _actor(actor: Actor) -> dict[str, object]:
    shown: dict[str, object] = {"objectType": "Agent"}
    if actor.name:
        shown["name"] = actor.name
    shown["account"] = {"homePage": actor.home_page, "name": actor.account_name}
    return shown


def _activity(activity: Activity) -> dict[str, object]:
    definition: dict[str, object] = {"type": activity.type}
    if activity.name:
        definition["name"] = dict(activity.name)
    if activity.interaction_type is not None:
        definition["interactionType"] = activity.interaction_type
    if activity.correct_responses is not None:
        definition["correctResponsesPattern"] = list(activity.correct_responses)
    if activity.choices:
        definition["choices"] = [_component(choice) for choice in activity.choices]
    if activity.scale:
        definition["scale"] = [_component(point) for point in activity.scale]
    return {"objectType": "Activity", "id": activity.id, "definition": definition}


def _component(component: InteractionComponent) -> dict[str, object]:
    return {"id": component.id, "description": dict(component.description)}


def _result(result: Result) -> dict[str, object]:
    shown: dict[str, object] = {}
    if result.score is not None:
        score: dict[str, object] = {"scaled": result.score.scaled}
        for key, value in (("raw", result.score.raw), ("min", result.score.min), ("max", result.score.max)):
            if value is not None:
                score[key] = value
        shown["score"] = score
    if result.success is not None:
        shown["success"] = result.success
    if result.completion is not None:
        shown["completion"] = result.completion
    if result.response is not None:
        shown["response"] = result.response
    if result.duration is not None:
        shown["duration"] = duration(result.duration)
    return shown


def _context(context: Context) -> dict[str, object]:
    shown: dict[str, object] = {}
    if context.registration is not None:
        shown["registration"] = str(context.registration)
    activities: dict[str, object] = {}
    if context.parent:
        activities["parent"] = [_activity(activity) for activity in context.parent]
    if context.grouping:
        activities["grouping"] = [_activity(activity) for activity in context.grouping]
    if activities:
        shown["contextActivities"] = activities
    if context.platform:
        shown["platform"] = context.platform
    return shown
