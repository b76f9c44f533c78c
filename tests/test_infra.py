"""The test infrastructure's own promises, which the fault tests rely on."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.support import infra

BUSY = (
    "import threading\n"
    "def spin():\n"
    "    while True: pass\n"
    "for _ in range(3): threading.Thread(target=spin, daemon=True).start()\n"
    "spin()\n"
)


def test_pause_returns_only_once_every_thread_of_a_busy_process_is_stopped(tmp_path):
    # A fault test that pauses the database and then sends must find it already stopped: SIGSTOP
    # is delivered asynchronously, and a busy process was seen answering right after the kill.
    popen = subprocess.Popen([sys.executable, "-c", BUSY])
    proc = infra.Proc("busy", popen, tmp_path / "busy.log", 0, "")
    try:
        time.sleep(0.3)
        for attempt in range(30):
            proc.pause()
            states = infra.thread_states(popen.pid)
            assert states and all(s in "Tt" for s in states), (attempt, states)
            proc.resume()
            time.sleep(0.01)
    finally:
        popen.kill()
        popen.wait(5)
