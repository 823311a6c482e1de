"""What is due and when it is sent: the rules for a bot that speaks first.

Pure functions on aware datetimes and the learner's `ZoneInfo`: when lessons and reminders
fall due (`timing`), when missed quiz questions come back (`review`), and which zone a
learner is in (`zones`). The scheduler and its outbox call them; nothing here touches the
database or reads a clock.
"""
