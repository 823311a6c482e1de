"""Authored content: the YAML format, its validation, and the typed model the engine reads."""
