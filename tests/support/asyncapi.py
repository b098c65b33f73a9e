"""Check real socket frames against the served AsyncAPI document (/schema/asyncapi.json)."""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft7Validator


class Conformance:
    """The document's server frames per channel; :meth:`check` says which message a frame is, or fails."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.sent: dict[str, dict[str, Draft7Validator]] = {}
        for operation in document["operations"].values():
            refs = [*operation["messages"]] if operation["action"] == "send" else []
            refs += operation.get("reply", {}).get("messages", [])
            for ref in refs:
                _, _, channel, _, key = ref["$ref"].split("/", 4)
                payload = document["channels"][channel]["messages"][key]["payload"]
                # the payload's $refs resolve against the document's components
                schema = {**payload, "components": document["components"]}
                self.sent.setdefault(channel, {})[key] = Draft7Validator(schema)
        self.seen: dict[str, set[str]] = {}

    @classmethod
    def served_by(cls, base_url: str) -> Conformance:
        response = httpx.get(f"{base_url}/schema/asyncapi.json", timeout=60)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return cls(response.json())

    def check(self, channel: str, frame: dict[str, Any]) -> str:
        """The key of the message ``frame`` is on ``channel``; fails if no message of the channel fits."""
        messages = self.sent[channel]
        if frame.get("type") == "event":  # a room event: the message of its kind, and only that one
            key = f"event.{frame.get('kind')}"
            assert key in messages, f"{channel}: no message for event kind {frame.get('kind')!r}"
            errors = [e.message for e in messages[key].iter_errors(frame)]
            assert not errors, f"{channel} {key}: {errors} in {frame}"
        else:
            fits = [key for key, validator in messages.items() if validator.is_valid(frame)]
            assert fits, f"{channel}: no message of the document fits {frame}"
            key = fits[0]
        self.seen.setdefault(channel, set()).add(key)
        return key
