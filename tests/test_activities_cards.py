"""Who is going and who hosts: the people of an activity, shown to the circle's members only
(there is no per-user privacy setting, so membership is the rule), driven through the server."""

from __future__ import annotations

from tests.support.activities import post_activity
from tests.support.client import Api


def going_of(who: Api, act_id: str):
    return who.get(f"/api/activities/{act_id}/going")


async def test_members_see_who_is_going_and_the_organiser(make_user, make_sock, clock):
    organiser = await make_user("organiser", display_name="Olga Organiser")
    circle = await organiser.create_circle("Runners")
    people: dict[str, Api] = {}
    for name in ("alice", "bob", "carol", "dave"):
        people[name] = await make_user(name, display_name=f"{name.title()} Person")
        await people[name].join(circle["id"])
    act = await post_activity(organiser, circle, clock.now(), capacity=2)
    socks = {n: await make_sock(p) for n, p in people.items()}
    for n in ("alice", "bob", "carol", "dave"):
        await socks[n].ok("activity:signup", {"activity_id": act["id"]})
    await socks["dave"].ok("activity:cancel", {"activity_id": act["id"]})  # left the waitlist
    # alice is checked in: she still counts as going.
    await organiser.post(
        f"/api/activities/{act['id']}/checkin/user", {"user_id": people["alice"].id}
    )

    for viewer in (people["carol"], organiser, people["bob"]):
        resp = await going_of(viewer, act["id"])
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["organiser"] == {
            "id": organiser.id,
            "display_name": "Olga Organiser",
            "handle": organiser.user["handle"],
            "avatar_url": None,
        }
        names = [p["display_name"] for p in body["going"]]
        assert names == ["Alice Person", "Bob Person"]  # confirmed, in sign-up order
        assert body["going_count"] == 2
        assert {p["id"] for p in body["going"]} == {people["alice"].id, people["bob"].id}
        assert set(body["going"][0]) == {"id", "display_name", "handle", "avatar_url"}


async def test_outsiders_see_nobody(make_user, make_sock, clock):
    organiser = await make_user("organiser", display_name="Olga Organiser")
    public = await organiser.create_circle("Open runners")
    private = await organiser.create_circle("Closed runners", visibility="private")
    alice = await make_user("alice")
    await alice.join(public["id"])
    invite = (await organiser.post(f"/api/circles/{private['id']}/invites", {})).json()
    await alice.join(private["id"], invite["invite"])
    sa = await make_sock(alice)
    eve = await make_user("eve")
    for circle in (public, private):
        act = await post_activity(organiser, circle, clock.now())
        await sa.ok("activity:signup", {"activity_id": act["id"]})
        member = await going_of(alice, act["id"])
        assert member.status_code == 200 and member.json()["going_count"] == 1
        refused = await going_of(eve, act["id"])
        # A public circle's activity is visible, its people are not; a private one is invisible.
        expected = 403 if circle is public else 404
        assert refused.status_code == expected, refused.text
        assert "going" not in refused.json() and "organiser" not in refused.json()
        # The activity itself carries no names either.
        if circle is public:
            seen = (await eve.get(f"/api/activities/{act['id']}")).json()
            assert alice.user["display_name"] not in str(seen)
    # A member who leaves is an outsider again.
    await alice.post(f"/api/circles/{public['id']}/leave")
    gone = await going_of(alice, act["id"])  # the private one: still a member there
    assert gone.status_code == 200
    pub_act = (await organiser.get(f"/api/circles/{public['id']}/activities")).json()
    left = await going_of(alice, pub_act["activities"][0]["id"])
    assert left.status_code == 403
    assert (await eve.get("/api/activities/nope/going")).status_code == 404
