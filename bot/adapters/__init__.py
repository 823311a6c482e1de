"""One adapter per chat platform: translate events in, render replies out, nothing else.

The contract every adapter keeps (the terminal, Slack and Telegram do; Teams, WhatsApp or
a web chat would be written against it):

In
  Each platform update that a learner meant (a message, a pressed button, a poll answer, a
  first visit) becomes one `bot.messages.InboundEvent`, with the platform's own delivery id
  as `event_id` (a redelivery must carry the same id: the engine does it once) and a
  `Sender` that says what the platform knows of the learner (names, locale, time zone,
  the profile's email where the platform gives one). A
  pressed button comes back as the `Choice.id` the engine issued, never as a label.
  Anything else (edits, joins, reactions, malformed or foreign bodies) is acknowledged and
  dropped, with a log line; it never reaches the engine and never earns the platform a
  5xx, which it would only retry.

Through the doors
  Learners' events go to `Engine.handle(event) -> tuple[Reply, ...]`; a standing page
  (Slack's App Home) reads `Engine.overview(sender)`. Both block on the database, so they
  run off the event loop (`database_work`). Support people's actions (a thread reply, a
  "Mark resolved") go through the `HandoffDesk` (`reply`, `resolve`). An adapter's own
  tables are only its platform state: the inbox of stored requests, polling cursors, the
  messages it has on screen (`storage.inbox`, `storage.platform_state`).

Out
  What the bot says first comes from the outbox to learners (`bot.delivery.outbox`): the
  adapter provides a `LearnerChannel` whose `deliver(message, replies)` shows the replies in
  the learner's conversation with the same rendering as answers, and raises
  `LearnerUnreachableError` when the platform says the learner blocked the bot.
  Every `Reply` type is rendered natively where the platform has the concept (buttons,
  Block Kit, inline keyboards, quiz polls) and as numbered text where it does not; a
  `ChoiceAccepted` updates the pressed message in place if the platform can; an
  `InviteLink` is written out as the link that platform opens (`bot.links.deep_links`). The replies of
  one event are sent in order; one refused send is logged and does not stop the next. The
  platform's rate limits are kept and its 429s waited out.

Reliability
  A request the platform will not resend should be stored before it is acknowledged
  (`inbox_worker` works each learner's stored requests off in order and takes over those of
  a dead process), so that acknowledging and then losing it in a crash cannot happen: Slack's
  requests and Telegram's updates (by webhook and by polling) both are.

Shared here: `console` (the terminal), `inbox_worker`, `database_work` and `gathered_calls`;
each platform's package (`slack/`, `telegram/`) keeps its translation, rendering and state.
"""
