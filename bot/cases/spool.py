"""Escalations that could not reach the database (down, restarting) are kept on disk, never dropped.

An action that fails to store a case writes the request here (bot/spool.py:
one small file, on disk before the person is answered), with the reference
it tells the person. Every dispatcher moves spooled requests into the
database when it is back, each file claimed by one of them. Importing twice
is harmless anyway: a conversation has at most one open case, and a second
request escalates it.
The files hold the conversation's pseudonym and the case's kind, no message
text and no contact.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from bot.cases.models import Case
from bot.cases.store import CaseStore, Opened, new_reference
from bot.spool import DiskSpool
from bot.transient import is_transient

logger = logging.getLogger(__name__)

def open_or_spool(store: Callable[[], CaseStore], spool: "EscalationSpool", **request: Any) -> Opened:
    """Open the case in the database, or, while the database is down, spool it: either way the person
    can be told their case reference now. Errors other than an unreachable database are raised."""
    request["reference"] = request.get("reference") or new_reference()
    try:
        return store().open_case(**request)
    except Exception as error:
        if not is_transient(error):
            raise
        logger.exception("The database is unreachable: the %s case is spooled to disk", request.get("organization"))
    spool.save(request)
    provisional = Case(reference=request["reference"], organization=request["organization"], priority=request["priority"],
                       category=request["category"], status="new", language=request.get("language"), country=request.get("country"),
                       channel=request.get("channel"), conversation_id=request["conversation_id"])
    return Opened(provisional, True)


class EscalationSpool(DiskSpool):
    def import_into(self, store: CaseStore, now: Optional[float] = None) -> int:
        """Move spooled escalations into the database (their notifications follow); returns how many."""
        moved = 0
        claimed = self.claim(now)
        for index, (path, request) in enumerate(claimed):
            try:
                opened = store.open_case(**request)
            except Exception as error:
                if is_transient(error):  # still down: these wait for the next pass
                    for waiting, _ in claimed[index:]:
                        self.release(waiting)
                raise
            self.done(path)
            moved += 1
            logger.warning("Spooled escalation stored as case %s", opened.case.reference)
        return moved
