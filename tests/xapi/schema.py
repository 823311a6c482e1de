"""A JSON Schema of the xAPI 1.0.3 statement, written from the spec (Data, part two,
section 2.4) for the properties Lessonloop can send: what the spec requires is required,
only the spec's property names are allowed, and values are checked as the spec words them."""

from __future__ import annotations

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
IRI = r"^[a-z][a-z0-9+.-]*:\S+$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DURATION = r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
LANGUAGE_TAG = r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"

_language_map = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": LANGUAGE_TAG},
    "additionalProperties": {"type": "string"},
}
_component = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string", "pattern": r"^\S+$"}, "description": _language_map},
    "additionalProperties": False,
}
_interaction_types = [
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
    "sequencing", "likert", "numeric", "other",
]  # fmt: skip
_definition = {
    "type": "object",
    "properties": {
        "name": _language_map,
        "description": _language_map,
        "type": {"type": "string", "pattern": IRI},
        "moreInfo": {"type": "string", "pattern": IRI},
        "interactionType": {"enum": _interaction_types},
        "correctResponsesPattern": {"type": "array", "items": {"type": "string"}},
        "choices": {"type": "array", "items": _component},
        "scale": {"type": "array", "items": _component},
        "source": {"type": "array", "items": _component},
        "target": {"type": "array", "items": _component},
        "steps": {"type": "array", "items": _component},
        "extensions": {"type": "object"},
    },
    "dependentRequired": {
        "choices": ["interactionType"],
        "scale": ["interactionType"],
        "correctResponsesPattern": ["interactionType"],
    },
    "additionalProperties": False,
}
_activity = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "objectType": {"const": "Activity"},
        "id": {"type": "string", "pattern": IRI},
        "definition": _definition,
    },
    "additionalProperties": False,
}
_agent = {
    "type": "object",
    "required": ["account"],
    "properties": {
        "objectType": {"const": "Agent"},
        "name": {"type": "string"},
        "account": {
            "type": "object",
            "required": ["homePage", "name"],
            "properties": {
                "homePage": {"type": "string", "pattern": r"^https?://\S+$"},
                "name": {"type": "string"},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
_activities = {"type": "array", "items": _activity, "minItems": 1}
STATEMENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "actor", "verb", "object", "timestamp", "version"],
    "properties": {
        "id": {"type": "string", "pattern": UUID},
        "actor": _agent,
        "verb": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "pattern": IRI}, "display": _language_map},
            "additionalProperties": False,
        },
        "object": _activity,
        "result": {
            "type": "object",
            "properties": {
                "score": {
                    "type": "object",
                    "properties": {
                        "scaled": {"type": "number", "minimum": -1, "maximum": 1},
                        "raw": {"type": "number"},
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                    },
                    "additionalProperties": False,
                },
                "success": {"type": "boolean"},
                "completion": {"type": "boolean"},
                "response": {"type": "string"},
                "duration": {"type": "string", "pattern": DURATION},
                "extensions": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "context": {
            "type": "object",
            "properties": {
                "registration": {"type": "string", "pattern": UUID},
                "contextActivities": {
                    "type": "object",
                    "properties": {
                        "parent": _activities,
                        "grouping": _activities,
                        "category": _activities,
                        "other": _activities,
                    },
                    "additionalProperties": False,
                },
                "platform": {"type": "string"},
                "language": {"type": "string", "pattern": LANGUAGE_TAG},
                "extensions": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "timestamp": {"type": "string", "pattern": TIMESTAMP},
        "version": {"type": "string", "pattern": r"^1\.0\.\d+$"},
    },
    "additionalProperties": False,
}
