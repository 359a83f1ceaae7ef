"""Start the Rasa server: `python -m rasa_ext.serve MODEL`.

Started by `helpline run`. The API token is passed in-process (never on a
command line, where `ps` would show it), the HTTP API is enabled and protected
by it, and logging gets the redacting filter before the first request.
"""

from __future__ import annotations

import logging
import sys

from bot import logsafety
from bot.settings import load_settings, require_valid


def configure_logging(level_name: str) -> None:
    """Rasa's logging and its structlog output at our level, with redaction.

    Without `configure_structlog`, Rasa's structlog events (which carry message
    texts and slot values) print at every level, debug included.
    """
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    level = getattr(logging, level_name, logging.INFO)
    configure_logging_and_warnings(level)
    configure_structlog(level)
    logsafety.install(level_name)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m rasa_ext.serve MODEL_PATH")
    settings = require_valid(load_settings())

    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints

    configure_logging(settings.log_level)
    rasa.core.run.serve_application(
        model_path=argv[0],
        credentials=str(settings.root / "credentials.yml"),
        endpoints=AvailableEndpoints.read_endpoints(str(settings.root / "endpoints.yml")),
        interface=settings.host,
        port=settings.port,
        enable_api=True,
        auth_token=settings.api_token,
        cors=None,
    )


if __name__ == "__main__":
    main()
