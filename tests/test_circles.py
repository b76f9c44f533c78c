"""Circles through the real HTTP API (PROTOCOL §1)."""

from __future__ import annotations


async def test_create_list_search_get_circle(server, make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle(
        "Sunday Hikers", category="outdoors", tags=["hiking"], description="walks"
    )
    assert circle["my_role"] == "owner" and circle["member_count"] == 1
    assert circle["owner_id"] == owner.id and circle["conversation_id"]

    bob = await make_user("bob")
    found = (await bob.get("/api/circles", params={"q": "sunday hik"})).json()["circles"]
    assert circle["id"] in [c["id"] for c in found]
    by_cat = (await bob.get("/api/circles", params={"category": "outdoors"})).json()["circles"]
    assert circle["id"] in [c["id"] for c in by_cat]
    by_tag = (await bob.get("/api/circles", params={"tag": "hiking"})).json()["circles"]
    assert circle["id"] in [c["id"] for c in by_tag]
    none = (await bob.get("/api/circles", params={"tag": "nothing-here"})).json()["circles"]
    assert circle["id"] not in [c["id"] for c in none]
    got = (await bob.get(f"/api/circles/{circle['id']}")).json()["circle"]
    assert got["my_role"] is None and got["name"] == "Sunday Hikers"


async def test_search_query_is_literal_not_a_regex(server, make_user):
    owner = await make_user("owner")
    await owner.create_circle("Plain name")
    resp = await owner.get("/api/circles", params={"q": ".*"})
    assert resp.status_code == 200
    assert all(".*" in c["name"] for c in resp.json()["circles"])


async def test_private_circle_is_invisible_and_needs_an_invite(server, make_user):
    owner = await make_user("owner")
    private = await owner.create_circle("Secret club", visibility="private")
    eve = await make_user("eve")
    assert (await eve.get(f"/api/circles/{private['id']}")).status_code == 404
    listed = (await eve.get("/api/circles")).json()["circles"]
    assert private["id"] not in [c["id"] for c in listed]
    refused = await eve.post(f"/api/circles/{private['id']}/join", {})
    assert refused.status_code == 404
    forged = await eve.post(f"/api/circles/{private['id']}/join", {"invite": "forged"})
    assert forged.status_code == 404
    assert (await eve.post(f"/api/circles/{private['id']}/invites")).status_code == 404

    invite = await owner.post(f"/api/circles/{private['id']}/invites")
    assert invite.status_code == 201
    body = invite.json()
    assert body["invite"] in body["url"]
    other = await owner.create_circle("Other private", visibility="private")
    wrong = await eve.post(f"/api/circles/{other['id']}/join", {"invite": body["invite"]})
    assert wrong.status_code == 404
    joined = await eve.join(private["id"], body["invite"])
    assert joined["role"] == "member"
    assert (await eve.get(f"/api/circles/{private['id']}")).json()["circle"]["my_role"] == "member"
    # a plain member cannot mint invites
    assert (await eve.post(f"/api/circles/{private['id']}/invites")).status_code == 403


async def test_join_is_idempotent_and_counts_members(server, make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Counting")
    bob = await make_user("bob")
    await bob.join(circle["id"])
    await bob.join(circle["id"])
    got = (await owner.get(f"/api/circles/{circle['id']}")).json()["circle"]
    assert got["member_count"] == 2
    members = (await owner.get(f"/api/circles/{circle['id']}/members")).json()["members"]
    assert sorted(m["role"] for m in members) == ["member", "owner"]


async def test_leave_and_owner_cannot_leave(server, make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Leaving")
    bob = await make_user("bob")
    await bob.join(circle["id"])
    assert (await bob.post(f"/api/circles/{circle['id']}/leave")).status_code == 204
    assert (await bob.get(f"/api/circles/{circle['id']}/members")).status_code == 403
    refused = await owner.post(f"/api/circles/{circle['id']}/leave")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["reason"] == "owner"
    got = (await owner.get(f"/api/circles/{circle['id']}")).json()["circle"]
    assert got["member_count"] == 1


async def test_members_list_is_members_only(server, make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Members only")
    eve = await make_user("eve")
    resp = await eve.get(f"/api/circles/{circle['id']}/members")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"


async def test_unauthenticated_and_bad_ids(server, make_user):
    alice = await make_user("alice")
    assert (await alice.get("/api/circles", token="")).status_code == 401
    assert (await alice.get("/api/circles/%24gt")).status_code == 404
    assert (await alice.get("/api/circles/" + "a" * 65)).status_code == 404


async def test_empty_search_parameters_mean_not_given(server, make_user):
    owner = await make_user("owner")
    circle = await owner.create_circle("Form search")
    resp = await owner.get("/api/circles?q=&category=&tag=")
    assert resp.status_code == 200
    assert circle["id"] in [c["id"] for c in resp.json()["circles"]]


async def test_members_list_says_who_is_online(server, make_user, make_sock):
    owner, bob = await make_user("owner"), await make_user("bob")
    circle = await owner.create_circle("Presence")
    await bob.join(circle["id"])
    await make_sock(bob)
    members = (await owner.get(f"/api/circles/{circle['id']}/members")).json()["members"]
    online = {m["user"]["id"]: m["online"] for m in members}
    assert online == {owner.id: False, bob.id: True}
