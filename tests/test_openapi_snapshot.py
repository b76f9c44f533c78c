"""The web client's wire types cannot drift from the server.

web/openapi.json is a checked-in snapshot of the server's OpenAPI document and web/src/wire.gen.ts
is generated from it (openapi-typescript); web/src/types.ts names those generated types. These
tests fail when the server's document (as GET /openapi.json serves it) differs from the snapshot,
when the offline generator behind ``scripts/openapi`` would write something else than the server
serves, when wire.gen.ts is not what the snapshot generates, or when a Socket.IO event has no
documented ack. The fix for the first three is one command: ``scripts/openapi``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.support.infra import ROOT, Proc

SNAPSHOT = ROOT / "web" / "openapi.json"
REGENERATE = "run `scripts/openapi` (it rewrites web/openapi.json and web/src/wire.gen.ts)"


def _served(server: Proc) -> dict[str, Any]:
    resp = httpx.get(server.url + "/openapi.json", timeout=30)
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What changed, by path, schema and event, so the failure says where the drift is."""
    out: list[str] = []
    sections = [
        ("path", expected.get("paths", {}), actual.get("paths", {})),
        (
            "schema",
            expected.get("components", {}).get("schemas", {}),
            actual.get("components", {}).get("schemas", {}),
        ),
        (
            "event",
            expected.get("x-socketio", {}).get("client", {}),
            actual.get("x-socketio", {}).get("client", {}),
        ),
        (
            "server event",
            expected.get("x-socketio", {}).get("server", {}),
            actual.get("x-socketio", {}).get("server", {}),
        ),
    ]
    for kind, old, new in sections:
        out += [f"{kind} {k} is new" for k in sorted(set(new) - set(old))]
        out += [f"{kind} {k} is gone" for k in sorted(set(old) - set(new))]
        out += [f"{kind} {k} changed" for k in sorted(set(old) & set(new)) if old[k] != new[k]]
    if not out and expected != actual:
        out.append("the document's header changed")
    return out


def test_the_snapshot_is_the_document_the_server_serves(server: Proc) -> None:
    assert SNAPSHOT.exists(), f"web/openapi.json is missing: {REGENERATE}"
    snapshot = json.loads(SNAPSHOT.read_text())
    served = _served(server)
    drift = _differences(snapshot, served)
    assert not drift, (
        "web/openapi.json is stale (the web client's wire types no longer match the server): "
        f"{REGENERATE}. Differences: " + "; ".join(drift)
    )


def test_the_offline_generator_writes_what_the_server_serves(server: Proc) -> None:
    # scripts/openapi builds the document without a database (python -m server openapi); the
    # environment is the bare minimum, so nothing of a deployment's settings leaks into it.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    out = subprocess.run(
        [sys.executable, "-m", "server", "openapi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("}\n")
    drift = _differences(_served(server), json.loads(out.stdout))
    assert not drift, "python -m server openapi differs from GET /openapi.json: " + "; ".join(drift)


def test_wire_types_are_generated_from_the_snapshot() -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to check web/src/wire.gen.ts"
    if not (ROOT / "web" / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.fail("web/node_modules is not installed: run `cd web && npm ci`")
    # openapi-typescript --check: exit 1 when the file is not what the snapshot generates.
    out = subprocess.run(
        [npm, "run", "--silent", "gen:wire", "--", "--check"],
        cwd=ROOT / "web",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, (
        f"web/src/wire.gen.ts is not what web/openapi.json generates: {REGENERATE}\n"
        + out.stdout
        + out.stderr
    )


def test_every_event_documents_its_payload_and_ack(server: Proc) -> None:
    served = _served(server)
    events = served["x-socketio"]["client"]
    schemas = served["components"]["schemas"]
    assert "message:send" in events and "sync" in events
    undocumented = sorted(name for name, e in events.items() if not e["ack"])
    assert not undocumented, (
        f"events with no ack model: {undocumented}: add each to EVENT_ACKS in "
        f"server/http/openapi.py, then {REGENERATE}"
    )
    for name, e in events.items():
        for part in ("payload", "ack"):
            ref = e[part]["$ref"].rsplit("/", 1)[-1]
            assert ref in schemas, f"{name}'s {part} names a missing schema {ref}"
    # What the client reads of a message is in the document, so its generated type has it.
    message = schemas["MessageOut"]
    assert {"id", "seq", "rev", "reply", "reactions", "attachments"} <= set(message["required"])
