"""The request-data benchmark's shared spec: a 10-field model and its payloads."""

from __future__ import annotations

import json

VALID = {
    "name": "Ann Example",
    "email": "ann@example.com",
    "age": 34,
    "score": 87.5,
    "active": True,
    "tags": ["a", "b", "c"],
    "country": "NL",
    "city": "Utrecht",
    "zip_code": "3511AB",
    "notes": "likes benchmarks",
}
INVALID = {**VALID, "age": "old", "email": "not-an-email", "score": "high"}
VALID_BODY = json.dumps(VALID).encode()
INVALID_BODY = json.dumps(INVALID).encode()
