#!/usr/bin/env python3
"""Write the nginx configuration that balances several Circles processes (docs/deploy.md).

    python3 deploy/nginx_conf.py --listen 80 --backend 127.0.0.1:8001 --backend 127.0.0.1:8002

prints the http-context part (upstreams, maps, the server block) for /etc/nginx/conf.d/;
``--runtime-dir DIR`` prints instead a whole nginx.conf that runs in the foreground as an
unprivileged user with its pid, logs and temporary files under DIR (the test suite runs nginx
this way: tests/support/nginx.py). deploy/circles.conf is this script's output for two processes
on one machine; tests/test_deploy_nginx.py fails when the two differ.

Affinity: Engine.IO polling sends each session's requests as separate HTTP requests, and they
must all reach the process that holds the session. ``ip_hash`` (what Socket.IO's own nginx
example uses) pins every client behind one address (a NAT, a corporate proxy, every test client
on 127.0.0.1) to one process, and hashing the ``sid`` query parameter cannot work: the process
that answered the handshake chose the sid, a hash would send the next request elsewhere. So nginx
pins by a cookie it sets itself: every /socket.io/ answer carries ``circles_node=<process>``
naming the process that answered; a request with that cookie goes to that process, one without
it is balanced (least connections: websockets are long-lived). Each pinned group lists the other
processes as backups, so while a process restarts its clients' reconnects land on another one and
the cookie follows. Only Python-standard-library code: an operator runs it on the load balancer.
"""

from __future__ import annotations

import argparse
import re
import sys

PING_INTERVAL = 20  # server/realtime/server.py: ping_interval and ping_timeout
PING_TIMEOUT = 20
# Longer than a long-poll GET is held (the ping interval) and than a silent websocket lives
# before Engine.IO's own ping/pong would close it: nginx never cuts a healthy session.
READ_TIMEOUT = 2 * (PING_INTERVAL + PING_TIMEOUT)
COOKIE = "circles_node"


def _site(listen: str, backends: list[str], max_body: str) -> str:
    names = [f"p{i}" for i in range(1, len(backends) + 1)]
    balanced = "\n".join(f"    server {b} max_fails=1 fail_timeout=5s;" for b in backends)
    pinned = []
    for name, backend in zip(names, backends, strict=True):
        others = "\n".join(f"    server {o} backup;" for o in backends if o != backend)
        pinned.append(
            f"upstream circles_{name} {{\n    server {backend} max_fails=1 fail_timeout=5s;\n"
            f"{others}\n}}"
        )
    by_cookie = "\n".join(f"    {n} circles_{n};" for n in names)
    # $upstream_addr lists every address tried ("a, b" after a failover): the last one answered.
    by_addr = "\n".join(f"    ~{re.escape(b)}$ {n};" for n, b in zip(names, backends, strict=True))
    pinned_groups = "\n".join(pinned)
    cookie = f"{COOKIE}=$circles_node; Path=/socket.io/; HttpOnly; SameSite=Lax"
    return f"""\
# Circles behind nginx: {len(backends)} processes (written by deploy/nginx_conf.py; docs/deploy.md).
# New sessions and plain HTTP: the process with the fewest open connections. No upstream
# keepalive: a request on a fresh connection to a stopping process is refused before it is sent,
# so nginx retries it on the next process (a POST on a reused connection would be answered 502).
upstream circles {{
{balanced}
    least_conn;
}}
# One group per process for pinned Engine.IO sessions; the others take over while it is down.
{pinned_groups}

# The cookie nginx set on an earlier /socket.io/ answer names the group; unknown or none:
# balanced.
map $cookie_{COOKIE} $circles_pinned {{
{by_cookie}
    default circles;
}}
map $upstream_addr $circles_node {{
{by_addr}
    default "";
}}
map $http_upgrade $circles_connection {{
    default upgrade;
    "" "";
}}

# Which process answered, in the access log (the deploy tests read it).
log_format circles '$remote_addr [$time_local] "$request" $status '
                   'upstream=$upstream_addr cookie=$cookie_{COOKIE} rt=$request_time';

server {{
    listen {listen};
    access_log {{access_log}} circles;
    # Uploads (UPLOAD_MAX_BYTES) pass; every other route has its own 64 KiB limit.
    client_max_body_size {max_body};

    proxy_http_version 1.1;
    proxy_set_header Host $host;
    # The processes believe these only from TRUSTED_PROXIES (the login limits key on them).
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_connect_timeout 5s;
    add_header X-Circles-Upstream $circles_node always;

    location /socket.io/ {{
        proxy_pass http://$circles_pinned;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $circles_connection;
        # A long-poll answer goes out the moment the process writes it, and a polling POST is
        # passed on as it arrives.
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout {READ_TIMEOUT}s;
        proxy_send_timeout {READ_TIMEOUT}s;
        add_header Set-Cookie "{cookie}" always;
        add_header X-Circles-Upstream $circles_node always;
    }}

    # Metrics are for the operator's scraper, which reaches each process directly: through the
    # balancer every request comes from loopback, which METRICS_ENABLED=true without a token
    # would trust.
    location = /metrics {{
        return 404;
    }}

    location / {{
        proxy_pass http://circles;
        proxy_set_header Connection "";
    }}
}}
"""


def _main_conf(site: str, runtime_dir: str) -> str:
    """A whole nginx.conf for one unprivileged nginx in the foreground, everything under
    ``runtime_dir``: no system paths, so it runs beside (or without) the system service."""
    indented = "\n".join(("    " + line) if line else "" for line in site.splitlines())
    return f"""\
daemon off;
worker_processes 1;
pid {runtime_dir}/nginx.pid;
error_log {runtime_dir}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    client_body_temp_path {runtime_dir}/client_body;
    proxy_temp_path {runtime_dir}/proxy;
    fastcgi_temp_path {runtime_dir}/fastcgi;
    uwsgi_temp_path {runtime_dir}/uwsgi;
    scgi_temp_path {runtime_dir}/scgi;
{indented}
}}
"""


def render(
    listen: str, backends: list[str], runtime_dir: str | None = None, max_body: str = "11m"
) -> str:
    if not backends:
        raise ValueError("at least one --backend")
    for b in backends:
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d+", b):
            raise ValueError(f"backend {b!r}: expected host:port")
    site = _site(listen, backends, max_body)
    if runtime_dir is None:
        return site.replace("{access_log}", "/var/log/nginx/circles.access.log")
    return _main_conf(site.replace("{access_log}", f"{runtime_dir}/access.log"), runtime_dir)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--listen", default="80", help="nginx's listen argument (port or addr:port)"
    )
    parser.add_argument(
        "--backend", action="append", required=True, help="a Circles process, host:port"
    )
    parser.add_argument("--runtime-dir", help="write a whole foreground nginx.conf using DIR")
    parser.add_argument("--max-body", default="11m", help="client_max_body_size (uploads)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(render(args.listen, args.backend, args.runtime_dir, args.max_body))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
