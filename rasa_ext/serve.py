"""Start the Rasa server: `python -m rasa_ext.serve MODEL`.

Started by `helpline run`. The API token is passed in-process (never on a
command line, where `ps` would show it), the HTTP API is enabled and protected
by it, and logging gets the redacting filter before the first request.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot import logsafety
from rasa_ext import speedups
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


# Credentials a channel cannot work without; a channel missing one stays off.
REQUIRED = {
    "channels.rest.RestInput": ("token",),
    "channels.twilio_sms.TwilioSmsInput": ("account_sid", "auth_token", "from_number", "public_url"),
    "channels.telegram.TelegramInput": ("access_token", "webhook_secret"),
}


def enabled_credentials(source: Path, target: Path) -> Path:
    """Write the channels whose credentials are all set to `target` (mode 0600) and say which are on."""
    import os

    import yaml
    from rasa.shared.utils.io import read_config_file

    channels = read_config_file(str(source)) or {}
    enabled = {name: creds for name, creds in channels.items()
               if all(str((creds or {}).get(key) or "").strip() for key in REQUIRED.get(name, ()))}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(enabled, handle)
    on = ", ".join(n.split(".")[-1] for n in enabled) or "none"
    off = ", ".join(n.split(".")[-1] for n in channels if n not in enabled) or "none"
    print(f"helpline: channels on: {on}; off (credentials not set): {off}", flush=True)
    return target


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m rasa_ext.serve MODEL_PATH")
    settings = require_valid(load_settings())

    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints

    configure_logging(settings.log_level)
    speedups.install()
    import os

    from bot.settings import runtime_dir

    runtime = runtime_dir(settings)
    credentials = enabled_credentials(settings.root / "credentials.yml", runtime / "credentials.enabled.yml")
    endpoints = AvailableEndpoints.read_endpoints(str(settings.root / "endpoints.yml"))
    if settings.lock_store_url:  # several Rasa servers: one atomic, first-come-first-served lock per conversation
        from rasa_ext.lock_store import lock_store_endpoint

        endpoints.lock_store = lock_store_endpoint(settings.lock_store_url, os.environ.get("HELPLINE_LOCK_STORE_KIND", "atomic"))
    rasa.core.run.serve_application(
        model_path=argv[0],
        credentials=str(credentials),
        endpoints=endpoints,
        interface=settings.host,
        port=settings.port,
        enable_api=True,
        auth_token=settings.api_token,
        cors=None,
    )


if __name__ == "__main__":
    main()
