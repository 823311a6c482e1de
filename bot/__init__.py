"""Lessonloop: micro-courses, quizzes, surveys and answers inside Slack and Telegram."""
