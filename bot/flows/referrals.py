"""Referrals: each learner's personal invite link, and who brought whom.

The engine cannot write the link itself (a Telegram deep link, a Slack install page): it
sends an `InviteLink` with the signed token, and each adapter writes it out. A new
learner who arrives through one is recorded as referred by its owner, once.
"""

from __future__ import annotations

import logging

from bot.links.deep_links import invite_token
from bot.messages import InviteLink
from bot.turn import Turn
from storage.learners import learner_exists

log = logging.getLogger(__name__)

REFERRAL = "referral"
"""The `source` of a learner who came through an invite link."""


def invite(turn: Turn, _argument: str) -> None:
    """The `invite` command: the learner's own link to pass on."""
    if not turn.link_secret:
        turn.send_text(turn.say("invite_unavailable"))
        return
    token = invite_token(turn.link_secret, turn.learner.id)
    turn.send(InviteLink(token, turn.say("invite_link")))


def arrived_by_invite(turn: Turn, inviter_id: int) -> None:
    """A learner who arrived through `inviter_id`'s link: referred by them if the learner is
    new, and not the inviter themselves; someone already known keeps how they came."""
    learner = turn.learner
    if not turn.first_contact or learner.source is not None or inviter_id == learner.id:
        log.info("learner %s opened an invite link but is not new: nothing recorded", learner.id)
        return
    if not learner_exists(turn.session, inviter_id):
        log.info("learner %s came through the invite link of learner %s, who is gone", learner.id, inviter_id)
        return
    learner.source = REFERRAL
    learner.referred_by_id = inviter_id
    turn.mark("referred", None, str(inviter_id))
