"""Invite previews for signed-out visitors, and live member counts (issue 15, items 5 and 6)."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api


async def _invite(owner: Api, circle_id: str) -> str:
    return str((await owner.ok("POST", f"/api/circles/{circle_id}/invites"))["invite"])


async def test_invite_preview_names_the_circle_without_a_session(server, make_user):
    owner = await make_user("owner")
    private = await owner.create_circle(
        "Secret supper club", visibility="private", description="the address is 4 Elm Street"
    )
    invite = await _invite(owner, private["id"])
    anonymous = Api(server.url)
    try:
        resp = await anonymous.post(
            f"/api/circles/{private['id']}/invite-preview", {"invite": invite}
        )
    finally:
        await anonymous.aclose()
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"circle": {"id": private["id"], "name": "Secret supper club"}}
    # Nothing beyond the name the invite grants: no description, owner, members or the token.
    assert "Elm Street" not in resp.text and owner.id not in resp.text
    assert invite not in resp.text


async def test_invite_preview_refusals_are_not_found_and_leak_nothing(server, make_user):
    owner = await make_user("owner")
    private = await owner.create_circle("Hidden", visibility="private")
    other = await owner.create_circle("Other hidden", visibility="private")
    invite = await _invite(owner, private["id"])
    eve = await make_user("eve")
    path = f"/api/circles/{private['id']}/invite-preview"
    tampered = invite[:-3] + ("AAA" if not invite.endswith("AAA") else "BBB")
    cases: list[tuple[str, Any]] = [
        (path, {"invite": "forged.token.value"}),
        (path, {"invite": tampered}),
        (f"/api/circles/{other['id']}/invite-preview", {"invite": invite}),  # another circle's
        ("/api/circles/nosuchcircle/invite-preview", {"invite": invite}),
        (path, {"invite": eve.token}),  # a session token is signed for another purpose
    ]
    for url, body in cases:
        resp = await eve.post(url, body)
        assert resp.status_code == 404, (url, resp.text)
        assert resp.json()["error"]["code"] == "not_found"
        assert "Hidden" not in resp.text and invite not in resp.text
    bad_shape = await eve.post(path, {"invite": "no spaces allowed"})
    assert bad_shape.status_code == 422
    assert "invite" in bad_shape.json()["error"]["details"]["fields"]
    missing = await eve.post(path, {})
    assert missing.status_code == 422
    # A preview joins nobody.
    members = await owner.ok("GET", f"/api/circles/{private['id']}/members")
    assert [m["user"]["id"] for m in members["members"]] == [owner.id]


async def test_member_count_is_pushed_as_people_join_and_leave(server, make_user, make_sock):
    owner = await make_user("owner")
    circle = await owner.create_circle("Runners")
    sock = await make_sock(owner)
    bob = await make_user("bob")
    await bob.join(circle["id"])
    joined = await sock.wait_for("circle:members", lambda e: e["member_count"] == 2)
    assert joined == {
        "circle_id": circle["id"],
        "conversation_id": circle["conversation_id"],
        "member_count": 2,
    }
    assert (await bob.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    await sock.wait_for("circle:members", lambda e: e["member_count"] == 1)


async def test_member_count_of_a_private_circle_reaches_members_only(server, make_user, make_sock):
    owner = await make_user("owner")
    private = await owner.create_circle("Quiet room", visibility="private")
    public = await owner.create_circle("Open room")
    eve = await make_user("eve")
    await eve.join(public["id"])
    eve_sock = await make_sock(eve)
    owner_sock = await make_sock(owner)
    bob = await make_user("bob")
    await bob.join(private["id"], await _invite(owner, private["id"]))
    await owner_sock.wait_for("circle:members", lambda e: e["circle_id"] == private["id"])
    await bob.join(public["id"])  # a later event eve does get: the private one came before it
    await eve_sock.wait_for("circle:members", lambda e: e["circle_id"] == public["id"])
    assert all(e["circle_id"] != private["id"] for e in eve_sock.events["circle:members"])
