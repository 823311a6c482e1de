"""Signed links a learner's browser or chat app carries back to the bot: the tokens
(`signing`), the Telegram start payloads of customers' links and invites (`deep_links`),
and the CSV of every customer's link for a mail merge (`mail_merge`)."""
