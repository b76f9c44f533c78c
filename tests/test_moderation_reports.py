"""Member reports and the review queue (issue 14 item 3): any member reports a message, a post or
a member; reports of one target are grouped into one item; the queue shows them with their
context to roles holding ``view_reports`` and to nobody else. Decisions:
tests/test_moderation_reports_decisions.py."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.chat import say
from tests.support.client import Api
from tests.support.posts import publish
from tests.support.staff import staffed_circle


async def circle_of(
    make_user: Any, visibility: str = "public", extra: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, Api]]:
    """owner, an admin, a moderator and members bob, carol, dave (and ``extra``)."""
    return await staffed_circle(
        make_user,
        ("owner", "admin", "mod", "bob", "carol", "dave", *extra),
        {"admin": "admin", "mod": "moderator"},
        visibility,
        "Rep",
    )


async def report(api: Api, circle_id: str, kind: str, target: str, reason: str = "spam", **kw: Any):
    return await api.post(
        f"/api/circles/{circle_id}/reports",
        {"kind": kind, "target_id": target, "reason": reason, **kw},
    )


async def filed(api: Api, circle_id: str, kind: str, target: str, **kw: Any) -> dict[str, Any]:
    resp = await report(api, circle_id, kind, target, **kw)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["report"])


async def queue(api: Api, circle_id: str, **params: str) -> dict[str, Any]:
    resp = await api.get(f"/api/circles/{circle_id}/reports", params=params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_reports_of_one_message_are_one_item_with_the_chat_around_it(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    sb = await make_sock(p["bob"])
    said = [await say(sb, conv, f"line {i}") for i in range(1, 7)]
    bad = said[3]  # seq 4 of 6
    first = await filed(p["carol"], cid, "message", bad["id"], reason="spam", text="  buy now ")
    assert (first["kind"], first["target_id"], first["status"], first["outcome"]) == (
        "message", bad["id"], "open", None,
    )  # fmt: skip
    assert first["text"] == "buy now" and first["reason"] == "spam"
    again = await filed(p["carol"], cid, "message", bad["id"], reason="hate", text="changed")
    assert again == first  # idempotent: the first report stands
    await filed(p["dave"], cid, "message", bad["id"], reason="scam")
    items = (await queue(p["mod"], cid))["items"]
    assert len(items) == 1
    item = items[0]
    assert (item["kind"], item["target_id"], item["subject_id"], item["status"]) == (
        "message", bad["id"], p["bob"].id, "open",
    )  # fmt: skip
    assert item["report_count"] == 2 and item["reasons"] == {"spam": 1, "scam": 1}
    assert [r["reporter_id"] for r in item["reports"]] == [p["carol"].id, p["dave"].id]
    assert item["reports"][0]["text"] == "buy now" and item["excerpt"] == "line 4"
    assert item["decision"] is None
    context = item["context"]
    assert [m["seq"] for m in context["messages"]] == [2, 3, 4, 5, 6]
    assert [m["text"] for m in context["messages"]][2] == "line 4"
    assert context["post"] is None
    assert context["subject"]["user_id"] == p["bob"].id and context["subject"]["role"] == "member"
    # the owner and the admin see the same queue; one item is also read alone
    assert [i["id"] for i in (await queue(p["owner"], cid))["items"]] == [item["id"]]
    one = await p["admin"].ok("GET", f"/api/circles/{cid}/reports/{item['id']}")
    assert one["item"]["report_count"] == 2 and one["item"]["id"] == item["id"]


async def test_concurrent_reports_are_counted_from_the_reports(make_user, make_sock):
    extra = tuple(f"m{i}" for i in range(8))
    circle, p = await circle_of(make_user, extra=extra)
    cid, conv = circle["id"], circle["conversation_id"]
    bad = await say(await make_sock(p["bob"]), conv, "flood")
    reporters = [p[n] for n in extra]
    # every reporter at once, each of them twice (a double click)
    answers = await asyncio.gather(
        *(report(api, cid, "message", bad["id"]) for api in reporters + reporters)
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    by_reporter: dict[str, set[str]] = {}
    for api, a in zip(reporters + reporters, answers, strict=True):
        by_reporter.setdefault(api.id, set()).add(a.json()["report"]["id"])
    assert all(len(ids) == 1 for ids in by_reporter.values())
    items = (await queue(p["mod"], cid))["items"]
    assert len(items) == 1
    assert items[0]["report_count"] == 8 and len(items[0]["reports"]) == 8
    assert {r["reporter_id"] for r in items[0]["reports"]} == {api.id for api in reporters}


async def test_post_and_member_reports_carry_their_context(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid = circle["id"]
    await p["owner"].ok("PUT", f"/api/circles/{cid}/posts/settings", {"members_can_post": True})
    post = await publish(p["bob"], cid, text="Cheap watches here")
    await filed(p["carol"], cid, "post", post["id"], reason="scam")
    await p["mod"].ok("POST", f"/api/circles/{cid}/mute", {"user_id": p["dave"].id, "seconds": 60})
    await filed(p["carol"], cid, "member", p["dave"].id, reason="harassment", text="DMs me")
    items = (await queue(p["mod"], cid))["items"]
    assert [i["kind"] for i in items] == ["member", "post"]  # newest first
    member, posted = items
    assert member["subject_id"] == p["dave"].id and member["excerpt"] == ""
    assert member["context"]["messages"] == [] and member["context"]["post"] is None
    subject = member["context"]["subject"]
    assert subject["role"] == "member" and subject["joined_at"]
    assert [(e["action"], e["actor_id"]) for e in subject["history"]] == [("mute", p["mod"].id)]
    assert posted["subject_id"] == p["bob"].id and posted["excerpt"] == "Cheap watches here"
    assert posted["context"]["post"]["id"] == post["id"]
    assert posted["context"]["post"]["text"] == "Cheap watches here"
    assert posted["context"]["subject"]["history"] == []


async def test_queue_pages_newest_first(make_user):
    circle, p = await circle_of(make_user, extra=("erin",))
    cid = circle["id"]
    for name in ("bob", "dave", "erin"):
        await filed(p["carol"], cid, "member", p[name].id)
    page = await queue(p["mod"], cid, limit="2")
    assert [i["subject_id"] for i in page["items"]] == [p["erin"].id, p["dave"].id]
    assert page["next_before"] == page["items"][-1]["opened_at"]
    rest = await queue(p["mod"], cid, limit="2", before=page["next_before"])
    assert [i["subject_id"] for i in rest["items"]] == [p["bob"].id]
    assert rest["next_before"] is None
    assert (await queue(p["mod"], cid, status="decided"))["items"] == []


async def test_reporting_refusals_change_nothing(make_user, make_sock):
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    await p["owner"].ok("PUT", f"/api/circles/{cid}/posts/settings", {"members_can_post": True})
    hidden, q = await circle_of(make_user, "private")
    sb, sh = await make_sock(p["bob"]), await make_sock(q["bob"])
    bobs = await say(sb, conv, "mine")
    elsewhere = await say(sh, hidden["conversation_id"], "private words")
    post = await publish(p["bob"], cid, text="my post")
    outsider = await make_user("outsider")
    cases = [
        (outsider, cid, "message", bobs["id"], {}, 403, None),  # not a member of a public circle
        (outsider, hidden["id"], "member", q["bob"].id, {}, 404, None),  # a private circle
        (p["bob"], cid, "message", bobs["id"], {}, 403, "own"),
        (p["bob"], cid, "post", post["id"], {}, 403, "own"),
        (p["bob"], cid, "member", p["bob"].id, {}, 403, "own"),
        (p["carol"], cid, "message", elsewhere["id"], {}, 404, None),  # another circle's chat
        (p["carol"], cid, "message", "nosuchmessage", {}, 404, None),
        (p["carol"], cid, "post", "nosuchpost", {}, 404, None),
        (p["carol"], cid, "member", outsider.id, {}, 409, "not_member"),
        (p["carol"], cid, "message", bobs["id"], {"reason": "rude"}, 422, None),
        (p["carol"], cid, "thread", bobs["id"], {}, 422, None),
        (p["carol"], cid, "message", bobs["id"], {"text": "x" * 1001}, 422, None),
        (p["carol"], cid, "message", bobs["id"], {"reporter_id": p["dave"].id}, 422, None),
    ]
    for api, circle_id, kind, target, extra, status, reason in cases:
        resp = await report(api, circle_id, kind, target, **extra)
        assert resp.status_code == status, (kind, extra, resp.text)
        if reason is not None:
            assert resp.json()["error"]["details"]["reason"] == reason
    resp = await report(p["carol"], cid, "message", {"$gt": ""})  # type: ignore[arg-type]
    assert resp.status_code == 422 and "target_id" in resp.json()["error"]["details"]["fields"]
    await sb.ok("message:delete", {"message_id": bobs["id"]})
    resp = await report(p["carol"], cid, "message", bobs["id"])
    assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == "deleted"
    assert (await queue(p["mod"], cid))["items"] == []
    assert (await queue(q["mod"], hidden["id"]))["items"] == []


async def test_only_staff_see_the_queue(make_user, make_sock):
    circle, p = await circle_of(make_user, "private")
    cid, conv = circle["id"], circle["conversation_id"]
    bad = await say(await make_sock(p["bob"]), conv, "rude")
    await filed(p["carol"], cid, "message", bad["id"])
    item = (await queue(p["mod"], cid))["items"][0]
    outsider = await make_user("outsider")
    paths = (f"/api/circles/{cid}/reports", f"/api/circles/{cid}/reports/{item['id']}")
    # every role: owner, admin and moderator see the queue; check-in staff and members do not
    await p["owner"].ok(
        "PUT", f"/api/circles/{cid}/roles", {"user_id": p["dave"].id, "role": "checkin"}
    )
    for staff in (p["owner"], p["admin"], p["mod"]):
        for path in paths:
            assert (await staff.get(path)).status_code == 200, path
    for api, status in ((outsider, 404), (p["bob"], 403), (p["dave"], 403), (p["carol"], 403)):
        for path in paths:
            resp = await api.get(path)
            assert resp.status_code == status, (path, resp.text)
        resp = await api.post(
            f"/api/circles/{cid}/reports/decision", {"item_id": item["id"], "action": "dismiss"}
        )
        assert resp.status_code == status, resp.text
    # an item is read only under its own circle
    other, o = await circle_of(make_user)
    resp = await o["mod"].get(f"/api/circles/{other['id']}/reports/{item['id']}")
    assert resp.status_code == 404
    resp = await p["mod"].get(f"/api/circles/{cid}/reports/nosuchitem")
    assert resp.status_code == 404
    resp = await p["mod"].get(f"/api/circles/{cid}/reports", params={"limit": "51"})
    assert resp.status_code == 422
    assert (await queue(p["mod"], cid))["items"][0]["status"] == "open"


async def test_a_message_reports_outcome_names_the_chat_to_open(make_user, make_sock):
    """The reporter's ``report_outcome`` carries the circle chat's ``conversation_id`` for a
    message report (so the bell opens it); a post or member report has none."""
    circle, p = await circle_of(make_user)
    cid, conv = circle["id"], circle["conversation_id"]
    await p["owner"].ok("PUT", f"/api/circles/{cid}/posts/settings", {"members_can_post": True})
    sb = await make_sock(p["bob"])
    said = await say(sb, conv, "rude words")
    post = await publish(p["bob"], cid, text="rude post")
    for kind, target in (("message", said["id"]), ("post", post["id"]), ("member", p["bob"].id)):
        await filed(p["carol"], cid, kind, target)
    for item in (await queue(p["mod"], cid))["items"]:
        await p["mod"].ok(
            "POST",
            f"/api/circles/{cid}/reports/decision",
            {"item_id": item["id"], "action": "dismiss"},
        )
    found = (await p["carol"].ok("GET", "/api/notifications"))["notifications"]
    data = {n["data"]["kind"]: n["data"] for n in found if n["kind"] == "report_outcome"}
    assert data["message"]["conversation_id"] == conv
    assert "conversation_id" not in data["post"] and "conversation_id" not in data["member"]
