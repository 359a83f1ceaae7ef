"""Several Rasa servers behind nginx: `helpline run --servers N` (`make run-scaled`).

nginx (Debian's package) listens on HELPLINE_PORT, the single entry point for
every webhook and the REST channel, and spreads conversations over N Rasa
servers on the ports above it: each conversation goes to one server (a hash
of the sender, read from the request body), so a burst of one person's
messages is read in the order it arrived even when a server is saturated.
Only when that server is down do its conversations move to another. One action + NLG server serves them all; each server
has its own notification dispatcher, which is safe: outbox rows are leased
(SKIP LOCKED), timers and the daily purge have one owner. The servers share
the tracker store and our database (PostgreSQL) and one atomic lock per
conversation (Redis, rasa_ext/lock_store.py).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bot.settings import Settings
from bot.supervisor import Child

NGINX_CONF = r"""# written by `helpline run --servers N`; do not edit (it is rewritten at every start)
worker_processes 1;
pid {home}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    # no access log: REST URLs carry the API token, and who wrote when is nobody's business
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    client_max_body_size 1m;
    # the body stays in memory (never a temp file), so the routing below can read the sender
    client_body_buffer_size 1m;
    # Which conversation a request belongs to, read from its body; a body without one goes anywhere.
    # Only hashed for routing: never logged, never forwarded.
    map $request_body $sms_conversation {{
        '~(?:^|&)From=(?<from>[^&]+)' $from;
        default $request_id;
    }}
    map $request_body $telegram_conversation {{
        '~"chat"\s*:\s*\{{\s*"id"\s*:\s*(?<chat>-?\d+)' $chat;
        default $request_id;
    }}
    map $request_body $rest_conversation {{
        '~"sender"\s*:\s*"(?<sender>[^"]*)' $sender;
        default $request_id;
    }}
    map $uri $conversation {{
        ~^/webhooks/twilio_sms/ $sms_conversation;
        ~^/webhooks/telegram/ $telegram_conversation;
        ~^/webhooks/rest/ $rest_conversation;
        default $request_id;
    }}
    upstream rasa {{
        # one server per conversation (ordering); consistent, so a server going away moves only its own
        hash $conversation consistent;
{servers}
        keepalive 32;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            # when nginx received the request: a busy server queues a conversation's messages by it (channels/ordering.py)
            proxy_set_header X-Helpline-Arrival $msec;
            proxy_read_timeout 60s;
            # a server that is down or refuses: try the next one (webhooks carry ids, so a retry is processed once)
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


class ScaledSetupError(RuntimeError):
    pass


def server_ports(settings: Settings, servers: int) -> list[int]:
    return [settings.port + 1 + index for index in range(servers)]


def check(settings: Settings, servers: int) -> None:
    """Several servers need a shared lock store, and nginx."""
    problems = []
    if servers > 1 and not settings.lock_store_url:
        problems.append("HELPLINE_LOCK_STORE_URL is not set: several servers need the shared Redis lock (e.g. redis://127.0.0.1:6379/0).")
    if servers > 1 and settings.tracker_store_url.startswith("sqlite"):
        problems.append("HELPLINE_TRACKER_STORE_URL is SQLite: point it at PostgreSQL so every server shares the conversations.")
    if not nginx_binary():
        problems.append("nginx is not installed: `apt-get install nginx` (Debian's package).")
    if problems:
        raise ScaledSetupError("Cannot start several servers:\n  " + "\n  ".join(problems))


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)


def write_nginx_conf(home: Path, host: str, port: int, backends: list[int]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in backends)
    path = home / "nginx.conf"
    path.write_text(NGINX_CONF.format(home=home, servers=servers, host=host, port=port), encoding="utf-8")
    return path


def children(settings: Settings, model: Path, servers: int, runtime: Path) -> list[Child]:
    ports = server_ports(settings, servers)
    conf = write_nginx_conf(runtime / "nginx", settings.host, settings.port, ports)
    found: list[Child] = [Child("action server", [sys.executable, "-m", "actions.server"])]
    for index, port in enumerate(ports, start=1):
        found.append(Child(f"dispatcher {index}", [sys.executable, "-m", "bot.notify.dispatcher"]))
        found.append(Child(f"Rasa server {index}", [sys.executable, "-m", "rasa_ext.serve", str(model)],
                           env={"HELPLINE_PORT": str(port), "HELPLINE_HOST": "127.0.0.1"}))
    found.append(Child("nginx", [str(nginx_binary()), "-c", str(conf), "-p", str(conf.parent), "-g", "daemon off;"]))
    return found
