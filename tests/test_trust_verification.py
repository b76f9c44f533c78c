"""Organiser verification through the real server: an organiser submits, a platform
administrator (made only by the command line) reviews, the organiser sees the outcome. The
document number is sealed at rest and never leaves the server, not in a response, not in the
log (a server of this module's own, logging at debug)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.client import Api, Sock, register
from tests.support.posts import upload_for
from tests.support.security_infra import Dedicated, LogMark, start_dedicated
from tests.support.trust import admin_cli, make_admin, submit, verification_image

NUMBER = "Q7X4K9M2W8"


@pytest.fixture(scope="module")
def trusted(stack: Any) -> Iterator[Dedicated]:
    d = start_dedicated(stack, PAID_ACTIVITIES_REQUIRE_VERIFICATION="1", LOG_LEVEL="debug")
    yield d
    d.proc.stop()


@pytest.fixture
async def people(trusted: Dedicated) -> AsyncIterator[dict[str, Api]]:
    made = {n: await register(trusted.url, n) for n in ("organiser", "admin", "eve")}
    make_admin(trusted, made["admin"])
    yield made
    for api in made.values():
        await api.aclose()


async def test_submit_review_approve_and_the_organiser_sees_it(
    trusted: Dedicated, people: dict[str, Api]
) -> None:
    organiser, admin = people["organiser"], people["admin"]
    before = await organiser.ok("GET", "/api/me/verification")
    assert before == {"verified": False, "platform_admin": False, "verification": None}
    resp = await submit(organiser, "q7x4-k9m2 w8")  # separators dropped, letters upper-cased
    assert resp.status_code == 201, resp.text
    sub = resp.json()["verification"]
    assert (sub["status"], sub["document_last4"], sub["review"]) == ("pending", "M2W8", None)
    queue = (await admin.ok("GET", "/api/admin/verifications"))["verifications"]
    mine = [q for q in queue if q["id"] == sub["id"]]
    assert mine and mine[0]["user_id"] == organiser.id and mine[0]["legal_name"] == "Maya Chen"
    image = await admin.get(mine[0]["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "private, no-store"
    one = (await admin.ok("GET", f"/api/admin/verifications/{sub['id']}"))["verification"]
    assert (one["user_id"], one["image_url"]) == (organiser.id, mine[0]["image_url"])
    done = await admin.ok(
        "POST", f"/api/admin/verifications/{sub['id']}/review", {"decision": "approved"}
    )
    assert done["verification"]["status"] == "approved"
    assert done["verification"]["image_url"] == mine[0]["image_url"]
    seen = await organiser.ok("GET", "/api/me/verification")
    assert seen["verified"] is True and seen["verification"]["status"] == "approved"
    assert sub["id"] not in [
        q["id"] for q in (await admin.ok("GET", "/api/admin/verifications"))["verifications"]
    ]
    badge = await people["eve"].ok("GET", f"/api/users/{organiser.id}/trust")
    assert badge == {"user_id": organiser.id, "organiser_verified": True}
    again = await submit(organiser)
    assert again.status_code == 409 and again.json()["error"]["details"]["reason"] == (
        "already_verified"
    )
    twice = await admin.post(
        f"/api/admin/verifications/{sub['id']}/review", {"decision": "rejected", "reason": "x"}
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["details"]["reason"] == "already_reviewed"
    assert (await organiser.ok("GET", "/api/me/verification"))["verified"] is True


async def test_a_rejection_needs_a_reason_which_the_organiser_sees_then_resubmits(
    people: dict[str, Api],
) -> None:
    organiser, admin = people["organiser"], people["admin"]
    sid = (await submit(organiser)).json()["verification"]["id"]
    pending = await submit(organiser)
    assert pending.status_code == 409
    assert pending.json()["error"]["details"]["reason"] == "verification_pending"
    bare = await admin.post(f"/api/admin/verifications/{sid}/review", {"decision": "rejected"})
    assert bare.status_code == 422 and "reason" in bare.json()["error"]["details"]["fields"]
    assert (await admin.ok("GET", f"/api/admin/verifications/{sid}"))["verification"][
        "status"
    ] == "pending"
    sock = await Sock(organiser.base_url, organiser.token).connect()
    try:
        await admin.ok(
            "POST",
            f"/api/admin/verifications/{sid}/review",
            {"decision": "rejected", "reason": "The photo is blurred"},
        )
        told = await sock.wait_for(
            "notification", lambda e: e["notification"]["kind"] == "verification_reviewed"
        )
    finally:
        await sock.close()
    assert told["notification"]["body"] == "The photo is blurred"
    assert told["notification"]["data"] == {"verification_id": sid, "decision": "rejected"}
    seen = await organiser.ok("GET", "/api/me/verification")
    assert seen["verified"] is False
    assert seen["verification"]["status"] == "rejected"
    assert seen["verification"]["review"]["reason"] == "The photo is blurred"
    second = await submit(organiser, "AB123456")
    assert second.status_code == 201, second.text
    assert second.json()["verification"]["id"] != sid
    assert (await organiser.ok("GET", "/api/me/verification"))["verification"]["status"] == (
        "pending"
    )


async def test_concurrent_submissions_store_one(people: dict[str, Api]) -> None:
    organiser = people["organiser"]
    images = [await verification_image(organiser) for _ in range(4)]
    answers = await asyncio.gather(*(submit(organiser, upload_id=i) for i in images))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 1 and set(codes) <= {201, 409}, codes


async def test_non_admins_are_forbidden_the_review_endpoints(
    trusted: Dedicated, people: dict[str, Api]
) -> None:
    organiser, eve = people["organiser"], people["eve"]
    sid = (await submit(organiser)).json()["verification"]["id"]
    for who in (organiser, eve):
        for method, path, body in (
            ("GET", "/api/admin/verifications", None),
            ("GET", f"/api/admin/verifications/{sid}", None),
            ("GET", f"/api/admin/verifications/{sid}/image", None),
            ("POST", f"/api/admin/verifications/{sid}/review", {"decision": "approved"}),
        ):
            resp = await who.request(method, path, json=body)
            assert resp.status_code == 403, (method, path, resp.text)
            assert resp.json()["error"]["code"] == "forbidden"
    assert (await organiser.ok("GET", "/api/me/verification"))["verification"]["status"] == (
        "pending"
    )


async def test_outsiders_see_nothing_of_a_submission(people: dict[str, Api]) -> None:
    organiser, eve = people["organiser"], people["eve"]
    upload = await verification_image(organiser)
    assert (await eve.get(f"/api/uploads/{upload}")).status_code == 404
    assert (await organiser.get(f"/api/uploads/{upload}")).status_code == 200  # still pending
    assert (await submit(organiser, upload_id=upload)).status_code == 201
    # submitted: served to no one through uploads, its uploader included
    for who in (organiser, eve):
        assert (await who.get(f"/api/uploads/{upload}")).status_code == 404
    assert (await eve.ok("GET", "/api/me/verification"))["verification"] is None
    badge = await eve.ok("GET", f"/api/users/{organiser.id}/trust")
    assert badge == {"user_id": organiser.id, "organiser_verified": False}
    # someone else's image cannot be submitted
    theirs = await submit(eve, upload_id=await verification_image(organiser))
    assert theirs.status_code == 422 and "upload_id" in theirs.json()["error"]["details"]["fields"]


async def test_bad_input_is_named_and_stores_nothing(people: dict[str, Api]) -> None:
    organiser = people["organiser"]
    post_image = await upload_for(organiser, {"purpose": "avatar"})
    cases = [
        ({"document_number": "ab"}, "document_number"),
        ({"document_number": "<script>"}, "document_number"),
        ({"document_type": "library_card"}, "document_type"),
        ({"legal_name": " "}, "legal_name"),
        ({"upload_id": post_image.json()["upload"]["id"]}, "upload_id"),
        ({"upload_id": "nosuch"}, "upload_id"),
    ]
    for over, field in cases:
        resp = await submit(organiser, **over)
        assert resp.status_code == 422, (over, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], (over, resp.text)
    assert (await organiser.ok("GET", "/api/me/verification"))["verification"] is None


async def test_the_number_is_sealed_at_rest_and_never_answered_or_logged(
    trusted: Dedicated, people: dict[str, Api], stack: Any
) -> None:
    organiser, admin = people["organiser"], people["admin"]
    mark = LogMark(trusted.proc)
    answers: list[str] = []
    resp = await submit(organiser, NUMBER)
    answers.append(resp.text)
    sid = resp.json()["verification"]["id"]
    for api, path in (
        (organiser, "/api/me/verification"),
        (admin, "/api/admin/verifications"),
        (admin, f"/api/admin/verifications/{sid}"),
    ):
        answers.append((await api.get(path)).text)
    review = await admin.post(
        f"/api/admin/verifications/{sid}/review", {"decision": "rejected", "reason": "expired"}
    )
    answers.append(review.text)
    answers.append((await organiser.get("/api/me/verification")).text)
    # a refused submission that carries a number must not echo it either
    answers.append((await submit(organiser, NUMBER, legal_name="")).text)
    for text in answers:
        assert NUMBER not in text and "7X4K9" not in text, text
    assert "K9M2W8"[-4:] in answers[0]
    log = mark.text()
    assert "verification submitted" in log  # the debug log was written, and holds no number
    assert NUMBER not in trusted.proc.log()
    if stack.ferret is not None:  # nor does the database's own log see it
        assert NUMBER not in stack.ferret.log()
    async with trusted.database() as db:
        raw = await db["verifications"].find_one({"_id": sid})
    assert raw is not None
    stored = json.dumps(raw, default=str)
    assert NUMBER not in stored and "7X4K9" not in stored
    assert raw["document_last4"] == "M2W8" and raw["document_sealed"].startswith("gAAAA")


def test_the_command_line_refuses_an_unknown_handle(trusted: Dedicated) -> None:
    done = admin_cli(trusted.env, "grant", "no_such_handle_here")
    assert done.returncode == 1 and "no user" in done.stderr


async def test_revoked_admins_lose_the_queue(trusted: Dedicated, people: dict[str, Api]) -> None:
    admin = people["admin"]
    assert (await admin.ok("GET", "/api/me/verification"))["platform_admin"] is True
    done = admin_cli(trusted.env, "revoke", admin.user["handle"])
    assert done.returncode == 0, done.stderr
    assert (await admin.get("/api/admin/verifications")).status_code == 403


async def test_concurrent_reviews_one_wins_and_the_status_is_the_winners(
    people: dict[str, Api],
) -> None:
    organiser, admin = people["organiser"], people["admin"]
    sid = (await submit(organiser)).json()["verification"]["id"]
    bodies = [
        {"decision": "approved"} if i % 2 else {"decision": "rejected", "reason": f"no {i}"}
        for i in range(6)
    ]
    answers = await asyncio.gather(
        *(admin.post(f"/api/admin/verifications/{sid}/review", b) for b in bodies)
    )
    won = [r.json()["verification"] for r in answers if r.status_code == 200]
    assert len(won) == 1 and sorted(r.status_code for r in answers)[1:] == [409] * 5
    seen = (await organiser.ok("GET", "/api/me/verification"))["verification"]
    assert seen["status"] == won[0]["status"] and seen["review"] == won[0]["review"]
    queue = (await admin.ok("GET", "/api/admin/verifications"))["verifications"]
    assert sid not in [q["id"] for q in queue]


async def test_an_administrator_cannot_approve_their_own_submission(
    people: dict[str, Api],
) -> None:
    admin = people["admin"]
    sid = (await submit(admin)).json()["verification"]["id"]
    resp = await admin.post(f"/api/admin/verifications/{sid}/review", {"decision": "approved"})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    assert (await admin.ok("GET", "/api/me/verification"))["verification"]["status"] == "pending"
