"""What a chat adapter must remember between updates: where it stopped reading, and the
messages the platform will later refer back to by its own id.

Telegram drops an update for good once `getUpdates` is called past it, so the polling
offset lives here and moves only after the update's work is committed. A quiz poll's
answer names only the poll, and a press on a button names only the message: the rows
kept here turn those ids back into the learner and the prompt they belong to.
Writes are upserts (`INSERT ... ON CONFLICT DO UPDATE`): the same key written twice, by
a redelivery or a second process, leaves one row with the newest values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, and_, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import AdapterCursor, PlatformMessage

_CURSORS = cast(Table, AdapterCursor.__table__)
_MESSAGES = cast(Table, PlatformMessage.__table__)


@dataclass(frozen=True)
class RememberedMessage:
    """A sent message (or poll) as the adapter recorded it."""

    kind: str
    external_id: str
    user_id: str
    conversation_id: str
    details: dict[str, str]
    created_at: datetime
    workspace: str = ""
    """The Slack team; empty where the platform has none."""


def read_cursor(session: Session, platform: str, name: str) -> str | None:
    return session.scalar(
        select(_CURSORS.c.value).where(_CURSORS.c.platform == platform, _CURSORS.c.name == name)
    )


def write_cursor(session: Session, platform: str, name: str, value: str, now: datetime) -> None:
    connection = session.connection()
    connection.execute(
        _CURSOR_UPSERT[connection.dialect.name],
        {"platform": platform, "name": name, "value": value, "updated_at": now},
    )


def remember_messages(session: Session, platform: str, messages: Sequence[RememberedMessage]) -> None:
    """Store each message under (platform, kind, external id), replacing an older row there
    (one executemany for them all)."""
    if not messages:
        return
    connection = session.connection()
    connection.execute(
        _MESSAGE_UPSERT[connection.dialect.name],
        [
            {
                "platform": platform,
                "workspace": message.workspace,
                "kind": message.kind,
                "external_id": message.external_id,
                "user_id": message.user_id,
                "conversation_id": message.conversation_id,
                "details": message.details,
                "created_at": message.created_at,
            }
            for message in messages
        ],
    )


def find_message(session: Session, platform: str, kind: str, external_id: str) -> RememberedMessage | None:
    key = {"platform": platform, "kind": kind, "external_id": external_id}
    row = session.connection().execute(_FIND_MESSAGE, key).first()
    if row is None:
        return None
    return RememberedMessage(
        kind, external_id, row.user_id, row.conversation_id, dict(row.details), row.created_at
    )


def forget_messages(session: Session, platform: str, kind: str, external_ids: Sequence[str]) -> None:
    """Delete the rows under (platform, kind, each external id), where there are any."""
    if external_ids:
        keys = {"platform": platform, "kind": kind, "external_ids": list(external_ids)}
        session.connection().execute(_FORGET_MESSAGES, keys)


def forget_messages_before(session: Session, platform: str, cutoff: datetime) -> int:
    """Delete the platform's rows older than `cutoff`; returns how many went."""
    result = session.connection().execute(
        delete(_MESSAGES).where(and_(_MESSAGES.c.platform == platform, _MESSAGES.c.created_at < cutoff))
    )
    return int(result.rowcount)


def forget_kind_before(session: Session, platform: str, kind: str, cutoff: datetime) -> int:
    """Delete the platform's rows of `kind` older than `cutoff`; returns how many went."""
    result = session.connection().execute(
        delete(_MESSAGES).where(
            and_(_MESSAGES.c.platform == platform, _MESSAGES.c.kind == kind, _MESSAGES.c.created_at < cutoff)
        )
    )
    return int(result.rowcount)


def _upserts(table: Table, keys: list[str], updated: list[str]) -> dict[str, Insert]:
    """Per dialect, `INSERT ... ON CONFLICT (keys) DO UPDATE SET updated = excluded.updated`,
    built once: these run on every update, and building one costs more than running it."""
    built: dict[str, Insert] = {}
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql)):
        insert: Callable[[Table], Any] = dialect.insert
        statement = insert(table)
        built[name] = statement.on_conflict_do_update(
            index_elements=keys, set_={column: statement.excluded[column] for column in updated}
        )
    return built


_FIND_MESSAGE = select(
    _MESSAGES.c.user_id, _MESSAGES.c.conversation_id, _MESSAGES.c.details, _MESSAGES.c.created_at
).where(
    _MESSAGES.c.platform == bindparam("platform"),
    _MESSAGES.c.kind == bindparam("kind"),
    _MESSAGES.c.external_id == bindparam("external_id"),
)
_FORGET_MESSAGES = delete(_MESSAGES).where(
    _MESSAGES.c.platform == bindparam("platform"),
    _MESSAGES.c.kind == bindparam("kind"),
    _MESSAGES.c.external_id.in_(bindparam("external_ids", expanding=True)),
)
"""Built once, like the upserts: a Slack prompt is looked up or forgotten at most events."""
_CURSOR_UPSERT = _upserts(_CURSORS, ["platform", "name"], ["value", "updated_at"])
_MESSAGE_UPSERT = _upserts(
    _MESSAGES,
    ["platform", "kind", "external_id"],
    ["workspace", "user_id", "conversation_id", "details", "created_at"],
)
