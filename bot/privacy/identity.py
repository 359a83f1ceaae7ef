"""Pseudonymous conversation ids: a keyed hash of channel and raw id.

Trackers, our tables, logs and notifications only ever see the pseudonym; the
raw phone number or chat id never leaves the channel except into the
encrypted contact store.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(channel: str, raw_id: str, key: str) -> str:
    """'twilio_sms' + '+9779812345678' -> 'twilio_sms-3f9c…' (HMAC-SHA256, 40 hex characters)."""
    if not key:
        raise ValueError("HELPLINE_PSEUDONYM_KEY is required to pseudonymise sender ids")
    digest = hmac.new(key.encode(), f"{channel}:{raw_id.strip()}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:40]}"
