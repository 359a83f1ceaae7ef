"""Shared request authentication for our HTTP channels."""

from __future__ import annotations

import hmac
from typing import Optional

from sanic.request import Request


def request_token(request: Request) -> Optional[str]:
    """The API token from `?token=` or `Authorization: Bearer ...`, if any."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    token = request.args.get("token")
    return token or None


def token_status(request: Request, expected: str) -> int:
    """200 when the token matches, 401 when absent, 403 when wrong (constant-time compare)."""
    given = request_token(request)
    if not given:
        return 401
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return 403
    return 200
