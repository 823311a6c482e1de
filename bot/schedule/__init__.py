"""When the bot may speak first: the rules of a course's schedule, on the learner's clock.

Pure functions on aware datetimes and the learner's `ZoneInfo`: when lessons and reminders
fall due (`timing`), when missed quiz questions come back (`review`), and which zone a
learner is in (`zones`). The flows and the delivery (`bot.delivery`) call them; nothing
here touches the database or reads a clock.
"""
