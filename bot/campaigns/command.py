"""`lessonloop campaign preview|launch|pause|status ID`: what a marketer types, and what
they read back (audience per variant and holdout, the learners left out and why, a sample
of each variant as each platform shows it, and the funnel from queued to converted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from bot.adapters.slack import blocks as slack_blocks
from bot.adapters.telegram import render
from bot.bootstrap import Core
from bot.campaigns.attribution import attribute
from bot.campaigns.launch import launch, pause
from bot.campaigns.preview import audience_preview
from bot.content.model import HOLDOUT, Campaign
from bot.messages import ChoicePrompt, LinkReply, Platform, QuizQuestionReply, RatingScale, Reply, TextReply
from bot.metrics.lift import evidence_text, lift
from storage.campaigns import LEFT_OUT, ArmCounts, arm_counts, launch_status

Print = Callable[[str], None]
ACTIONS = ("preview", "launch", "pause", "status")


def run(core: Core, action: str, campaign_id: str, *, attribution_days: int, say: Print = print) -> int:
    campaign = core.content.campaigns.get(campaign_id)
    if campaign is None:
        known = ", ".join(sorted(core.content.campaigns)) or "none"
        say(f"lessonloop: no campaign {campaign_id!r} in the content (campaigns: {known})")
        return 2
    if action == "preview":
        _show_preview(core, campaign, say)
    elif action == "launch":
        _launch(core, campaign, say)
    elif action == "pause":
        with core.database.transaction() as session:
            held = pause(session, campaign.id, core.clock())
        say(f"{campaign.id}: paused; {held} messages held (launch it again to send them)")
    else:
        with core.database.transaction() as session:
            attribute(session, core.content, timedelta(days=attribution_days))
        with core.database.transaction() as session:
            status, rows = launch_status(session, campaign.id), arm_counts(session, campaign.id)
        _show_status(status, rows, say)
    return 0


def _launch(core: Core, campaign: Campaign, say: Print) -> None:
    with core.database.transaction() as session:
        launched = launch(
            session, campaign, core.clock(), core.engine.default_zone, core.content.default_locale
        )
    say(
        f"{campaign.id}: launched; {launched.chosen} learners chosen now, {launched.queued} messages "
        f"queued, {launched.released} held messages released"
    )
    if campaign.when.kind == "trigger":
        say("  learners who qualify later are chosen as their trigger fires, while `serve` runs")


def _show_preview(core: Core, campaign: Campaign, say: Print) -> None:
    with core.database.transaction() as session:
        preview = audience_preview(session, campaign, core.clock(), core.content.default_locale)
    say(f"{campaign.id}: {campaign.title.pick(core.content.default_locale)}")
    say(f"  audience now: {preview.total} learners not chosen before ({preview.chosen_before} chosen before)")
    for arm in preview.arms:
        left = ", ".join(f"{count} {why}" for why, count in arm.left_out.items() if count) or "none"
        what = "gets nothing: the control group" if arm.arm == HOLDOUT else f"sends {arm.sends}"
        say(f"  {arm.arm}: {arm.reached} learners ({what}); left out: {left}")
    for variant in campaign.variants:
        for platform in (Platform.TELEGRAM, Platform.SLACK):
            replies = core.engine.sample_campaign(campaign.id, variant.id, platform)
            say(f"  sample of {variant.id} on {platform.value}:")
            for line in render_sample(platform, replies):
                say(f"    {line}")


def render_sample(platform: Platform, replies: tuple[Reply, ...]) -> list[str]:
    """The replies as the platform's API receives them (Block Kit, Bot API messages)."""
    if platform is Platform.SLACK:
        return [json.dumps(message.blocks, ensure_ascii=False) for message in slack_blocks.render(replies)]
    return [json.dumps(_telegram_message(reply), ensure_ascii=False) for reply in replies]


def _telegram_message(reply: Reply) -> dict[str, object]:
    """A reply as the Bot API call that sends it (the adapter's keyboards, the text as typed)."""
    if isinstance(reply, TextReply):
        return {"method": "sendMessage", "text": reply.text}
    if isinstance(reply, ChoicePrompt):
        keyboard = render.choice_keyboard(reply.prompt_id, reply.choices).to_dict()
        return {"method": "sendMessage", "text": reply.text, "reply_markup": keyboard}
    if isinstance(reply, RatingScale):
        keyboard = render.scale_keyboard(reply).to_dict()
        return {"method": "sendMessage", "text": render.scale_text(reply), "reply_markup": keyboard}
    if isinstance(reply, QuizQuestionReply):
        keyboard = render.quiz_keyboard(reply).to_dict()
        return {"method": "sendMessage", "text": reply.question, "reply_markup": keyboard}
    if isinstance(reply, LinkReply):
        return {"method": "sendMessage", "text": render.link_text(reply)}
    return {"reply": type(reply).__name__}


_COLUMNS = ("arm", "chosen", "queued", "sent", "delivered", "failed", "clicked", "converted", "rate")


def _show_status(status: str | None, rows: list[ArmCounts], say: Print) -> None:
    """The funnel per arm, the conversion rate of those reached, and each variant's lift
    over the holdout (the difference of the rates, in percentage points) with its 95% interval
    and p-value (`bot.metrics.lift`)."""
    say(f"status: {status or 'not launched'}")
    say("  " + "  ".join(f"{name:>11}" for name in (*_COLUMNS, *LEFT_OUT)))
    rates = {row.arm: _rate(row) for row in rows}
    for row in rows:
        left = row.left_out or {}
        cells = [row.arm, row.chosen, row.queued, row.sent, row.delivered, row.failed, row.clicked]
        cells += [row.converted, _percent(rates[row.arm]), *(left.get(why, 0) for why in LEFT_OUT)]
        say("  " + "  ".join(f"{cell!s:>11}" for cell in cells))
    held = next((row for row in rows if row.arm == HOLDOUT), None)
    if held is not None:
        for row in rows:
            if row.arm != HOLDOUT:
                found = lift(row.converted, _reached(row), held.converted, _reached(held))
                if found is None:
                    say(f"  lift of {row.arm} over the holdout: n/a: an arm is empty")
                else:
                    plain = f"{found.difference:+.1%} points"
                    say(f"  lift of {row.arm} over the holdout: {plain} ({evidence_text(found)})")


def _rate(row: ArmCounts) -> float | None:
    """None for an arm nobody was reached in: its rate is unknown, not 0%."""
    reached = _reached(row)
    return row.converted / reached if reached else None


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _reached(row: ArmCounts) -> int:
    return row.chosen - sum((row.left_out or {}).values())
