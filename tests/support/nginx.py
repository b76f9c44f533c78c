"""nginx in front of several Circles processes, configured by deploy/nginx_conf.py exactly as an
operator would write it, run in the foreground as the test's own process with everything under a
temporary directory (never the system service), and clients that talk through it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.support import infra
from tests.support.client import Sock

GENERATOR = infra.ROOT / "deploy" / "nginx_conf.py"
_LINE = re.compile(r'"(?P<method>\S+) (?P<uri>\S+) [^"]*" (?P<status>\d+) upstream=(?P<up>.*?) ')
_SID = re.compile(r"[?&]sid=([^&\s]+)")


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx not found: run scripts/bootstrap --test")
    return found


def render(listen: str, backends: list[str], runtime_dir: Path | None = None) -> str:
    """The generator's output, run as a command like an operator runs it."""
    argv = [sys.executable, str(GENERATOR), "--listen", listen]
    for b in backends:
        argv += ["--backend", b]
    if runtime_dir is not None:
        argv += ["--runtime-dir", str(runtime_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return done.stdout


@dataclass
class Access:
    method: str
    uri: str
    status: int
    upstreams: list[str]  # every address nginx tried, the one that answered last

    @property
    def sid(self) -> str | None:
        found = _SID.search(self.uri)
        return found.group(1) if found else None


class Nginx:
    def __init__(self, proc: infra.Proc, runtime_dir: Path) -> None:
        self.proc = proc
        self.runtime_dir = runtime_dir
        self.url = proc.url

    def access(self) -> list[Access]:
        path = self.runtime_dir / "access.log"
        rows = []
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            m = _LINE.search(line)
            if m:
                ups = [u.strip() for u in m["up"].split(",") if u.strip() not in ("", "-")]
                rows.append(Access(m["method"], m["uri"], int(m["status"]), ups))
        return rows

    def socket_sessions(self) -> dict[str, set[str]]:
        """Each Engine.IO session id seen on a request after its handshake -> the processes
        that answered its requests (one, when the affinity holds)."""
        seen: dict[str, set[str]] = defaultdict(set)
        for row in self.access():
            if row.uri.startswith("/socket.io/") and row.sid and row.upstreams:
                seen[row.sid].add(row.upstreams[-1])
        return dict(seen)

    def errors(self) -> str:
        path = self.runtime_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx; its access and error logs are kept beside the other processes' logs."""
        self.proc.stop()
        for name in ("access.log", "error.log"):
            kept = self.runtime_dir / name
            if kept.exists():
                shutil.copy(kept, self.proc.log_path.with_suffix(f".{name}"))
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def start_nginx(backends: list[infra.Proc], log_dir: Path) -> Nginx:
    """nginx on a free port in front of ``backends``; its access log names the process that
    answered each request."""
    runtime = infra.temp_dir("circles-nginx-")
    port = infra.free_port()
    conf = runtime / "nginx.conf"
    addrs = [f"127.0.0.1:{b.port}" for b in backends]
    conf.write_text(render(f"127.0.0.1:{port}", addrs, runtime))
    argv = [nginx_binary(), "-p", str(runtime), "-c", str(conf), "-e", str(runtime / "error.log")]
    popen, log_path = infra._spawn("nginx", argv, log_dir)
    infra.wait_port(port, proc=popen)
    proc = infra.Proc("nginx", popen, log_path, port, f"http://127.0.0.1:{port}")
    return Nginx(proc, runtime)


def cookie_session(jar: aiohttp.CookieJar) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=jar)


def browser_like_jar() -> aiohttp.CookieJar:
    """A cookie jar that keeps the balancer's cookie as a browser does. aiohttp's default jar
    drops cookies from a bare IP address (the tests' 127.0.0.1), which would leave every
    polling request unpinned."""
    return aiohttp.CookieJar(unsafe=True)


def sock_via(url: str, token: str | None, jar: aiohttp.CookieJar | None = None) -> Sock:
    """A Sock whose HTTP requests (the polling transport, the websocket upgrade) keep cookies in
    ``jar`` (kept across reconnects, as a browser keeps them)."""
    sock = Sock(url, token)
    kept = jar if jar is not None else browser_like_jar()
    sock.sio.eio.http_factory = lambda: cookie_session(kept)
    return sock
