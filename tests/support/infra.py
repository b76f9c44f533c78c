"""Start the real dependencies (FerretDB, Redis) and Circles server processes on free ports.

Shared by the test suite and the benchmark. Every process is started with its output captured in
a log file, and stopped (SIGTERM, then SIGKILL) by ``stop()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(
    port: int, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


def thread_states(pid: int) -> list[str]:
    """The scheduler state letter of each thread of ``pid`` (``T`` once stopped by a signal)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread exited meanwhile
            continue
        states.append(stat[stat.rindex(")") + 2])  # the field after "(comm)"
    return states


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int
    url: str
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def pause(self, timeout: float = 5.0) -> None:
        """SIGSTOP, returning only once every thread is stopped. The signal is delivered
        asynchronously: a busy process can still answer a request sent right after the kill."""
        self.popen.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        while not all(state in "Tt" for state in thread_states(self.popen.pid)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} (pid {self.popen.pid}) did not stop")
            time.sleep(0.001)

    def resume(self) -> None:
        self.popen.send_signal(signal.SIGCONT)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _spawn(
    name: str,
    argv: list[str],
    log_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[subprocess.Popen[bytes], Path]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{int(time.time() * 1000)}.log"
    fh = open(log_path, "wb")
    popen = subprocess.Popen(
        argv, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
    )
    return popen, log_path


def ferretdb_binary() -> str:
    local = TOOLS_BIN / "ferretdb"
    if local.exists():
        return str(local)
    found = shutil.which("ferretdb")
    if not found:
        raise RuntimeError("ferretdb not found: run scripts/install-ferretdb")
    return found


def start_ferretdb(data_dir: Path, log_dir: Path, port: int | None = None) -> Proc:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        ferretdb_binary(),
        "--handler=sqlite",
        f"--sqlite-url=file:{data_dir}/",
        f"--state-dir={data_dir}",
        f"--listen-addr=127.0.0.1:{port}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    popen, log_path = _spawn("ferretdb", argv, log_dir)
    wait_port(port, proc=popen)
    return Proc(
        "ferretdb",
        popen,
        log_path,
        port,
        f"mongodb://127.0.0.1:{port}/",
        {"data_dir": str(data_dir)},
    )


def start_redis(log_dir: Path, port: int | None = None) -> Proc:
    port = port or free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
    ]
    popen, log_path = _spawn("redis", argv, log_dir)
    wait_port(port, proc=popen)
    return Proc("redis", popen, log_path, port, f"redis://127.0.0.1:{port}/0")


def start_server(
    env_overrides: dict[str, str], log_dir: Path, port: int | None = None, timeout: float = 30.0
) -> Proc:
    """Run ``python -m server`` as a real process and wait for /healthz to answer 200."""
    port = port or free_port()
    env = dict(os.environ)
    env.update({"HOST": "127.0.0.1", "PORT": str(port)})
    env.update(env_overrides)
    popen, log_path = _spawn("server", [sys.executable, "-m", "server"], log_dir, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"server exited with {popen.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return Proc("server", popen, log_path, port, url)
        except OSError:
            time.sleep(0.1)
    popen.kill()
    raise TimeoutError(f"server not healthy after {timeout}s:\n{log_path.read_text()}")


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
