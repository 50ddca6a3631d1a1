"""The documents downstream teams read: JSON Schemas of every event and the AsyncAPI description.

`python -m invoice_contracts.published` rewrites contracts/schemas/ from the models; a test
fails when the committed files and the models disagree, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from invoice_contracts.events import (
    EVENT_TYPES,
    STREAM_NAME,
    SUBJECT_PREFIX,
)
from invoice_contracts.extraction import invoice_data_json_schema

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def event_json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per event type, plus the extracted data's strict schema."""
    documents = {
        f"{model.model_fields['type'].default}.v{model.SCHEMA_VERSION}.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **model.model_json_schema(mode="serialization"),
        }
        for model in EVENT_TYPES
    }
    documents["invoice-data.strict.json"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **invoice_data_json_schema(),
    }
    return documents


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for model in EVENT_TYPES:
        event_type = model.model_fields["type"].default
        name = model.__name__
        schema = model.model_json_schema(
            mode="serialization", ref_template=f"#/components/schemas/{name}/$defs/{{model}}"
        )
        schemas[name] = schema
        messages[name] = {
            "name": event_type,
            "title": name,
            "contentType": "application/cloudevents+json",
            "summary": (model.__doc__ or "").strip() or name,
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "headers": {
                "type": "object",
                "properties": {
                    "Nats-Msg-Id": {"type": "string", "description": "The event id"},
                    "Ce-Type": {"type": "string", "const": event_type},
                },
            },
        }
        channel = f"invoice{model.KIND.title().replace('_', '')}"
        channels[channel] = {
            "address": f"{SUBJECT_PREFIX}.{{invoiceId}}.{model.KIND}",
            "description": f"{event_type} events of stream {STREAM_NAME}",
            "parameters": {"invoiceId": {"description": "The invoice id (a UUID)"}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"receive{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"Subscribe to {event_type} (JetStream stream {STREAM_NAME})",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Invoice events",
            "version": "1.0.0",
            "description": (
                f"Every invoice event is appended to the JetStream stream {STREAM_NAME} on "
                f"'{SUBJECT_PREFIX}.<invoice id>.<kind>' as a CloudEvents 1.0 JSON document. "
                "Subscribe with a durable consumer; delivery is at least once, so de-duplicate "
                "on the event id. Events of one invoice are in stream order."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def published_documents() -> dict[str, str]:
    documents = {name: schema for name, schema in event_json_schemas().items()}
    documents["asyncapi.json"] = asyncapi_document()
    return {
        name: json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in documents.items()
    }


def main() -> int:
    SCHEMAS_DIR.mkdir(exist_ok=True)
    for name, text in published_documents().items():
        (SCHEMAS_DIR / name).write_text(text)
        print(f"wrote {SCHEMAS_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
