"""Helpers for the trust tests: a server with the paid-activity gate on, platform
administrators made by the command line, verification and payout accounts through the API."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.support.client import Api
from tests.support.infra import ROOT
from tests.support.posts import image, upload_for
from tests.support.security_infra import Dedicated

# A valid German IBAN (the standard's example) and the same with one digit changed.
IBAN = "DE89 3704 0044 0532 0130 00"
BAD_IBAN = "DE89 3704 0044 0532 0130 01"


def admin_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m server.trust.admin ...`` with a server's settings (``env``), as an operator
    would run it."""
    return subprocess.run(
        [sys.executable, "-m", "server.trust.admin", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def make_admin(server: Dedicated, api: Api) -> None:
    done = admin_cli(server.env, "grant", api.user["handle"])
    assert done.returncode == 0, done.stderr


async def verification_image(api: Api) -> str:
    resp = await upload_for(api, {"purpose": "verification"}, image((64, 48)))
    assert resp.status_code == 201, resp.text
    assert resp.json()["upload"]["scope"] == "verification"
    return str(resp.json()["upload"]["id"])


async def submit(api: Api, number: str = "X1234567Z", **over: Any) -> Any:
    body = {
        "legal_name": "Maya Chen",
        "document_type": "passport",
        "document_number": number,
        "upload_id": over.pop("upload_id", None) or await verification_image(api),
        **over,
    }
    return await api.post("/api/me/verification", body)


async def verify(api: Api, admin: Api, number: str = "P99887766") -> dict[str, Any]:
    """Submit and have ``admin`` approve: the user is a verified organiser after this."""
    resp = await submit(api, number)
    assert resp.status_code == 201, resp.text
    sid = resp.json()["verification"]["id"]
    return dict(
        await admin.ok("POST", f"/api/admin/verifications/{sid}/review", {"decision": "approved"})
    )


async def set_iban(api: Api, circle_id: str, iban: str = IBAN) -> Any:
    return await api.request(
        "PUT",
        f"/api/circles/{circle_id}/payout-account",
        json={"holder_name": "Maya Chen", "iban": iban},
    )
