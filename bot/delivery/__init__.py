"""Sending what the bot says first: the sweep that moves due lessons into the outbox to
learners, and the worker that sends the outbox through each platform's adapter. The rules
for when something is due live in `bot.schedule`; this package runs them."""
