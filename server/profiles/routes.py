"""Profiles over HTTP: a member's profile, by id or handle; editing one's own; the avatar."""

from __future__ import annotations

from server.accounts.models import User
from server.accounts.schemas import UserOut
from server.http.routing import Ctx, Route
from server.profiles.schemas import (
    AttendedOut,
    AvatarIn,
    AvatarOut,
    PatchProfileIn,
    ProfileCircleOut,
    ProfileEnvelope,
    ProfileOut,
    UserEnvelope,
)
from server.profiles.service import Profile, ProfileService


def avatar_of(u: User) -> AvatarOut | None:
    if not u.avatar_id:
        return None
    return AvatarOut(
        url=f"/api/uploads/{u.avatar_id}", thumbnail=f"/api/uploads/{u.avatar_id}/thumbnail"
    )


def profile_out(p: Profile) -> ProfileOut:
    u = p.user
    return ProfileOut(
        user=UserOut.of(u),
        bio=u.bio,
        interests=list(u.interests),
        city=u.city,
        avatar=avatar_of(u),
        circles=[
            ProfileCircleOut(id=c.id, name=c.name, visibility=c.visibility, role=r)
            for c, r in p.circles
        ],
        show_attended=u.show_attended,
        attended=(
            [
                AttendedOut(id=a.id, circle_id=a.circle_id, title=a.title, starts_at=a.starts_at)
                for a in p.attended
            ]
            if p.attended is not None
            else None
        ),
        posts=f"/api/users/{u.id}/posts",
        is_me=p.is_me,
        can_message=p.can_message,
    )


def routes(profiles: ProfileService) -> list[Route]:
    async def get_profile(ctx: Ctx) -> ProfileEnvelope:
        p = await profiles.profile(ctx.who.user, ctx.path["id"])
        return ProfileEnvelope(profile=profile_out(p))

    async def by_handle(ctx: Ctx) -> UserEnvelope:
        return UserEnvelope(user=UserOut.of(await profiles.by_handle(ctx.path["handle"])))

    async def patch_profile(ctx: Ctx) -> ProfileEnvelope:
        user = await profiles.edit(ctx.who.user, ctx.body)
        return ProfileEnvelope(profile=profile_out(await profiles.profile(user, user.id)))

    async def put_avatar(ctx: Ctx) -> ProfileEnvelope:
        body: AvatarIn = ctx.body
        user = await profiles.set_avatar(ctx.who.user, body.upload_id)
        return ProfileEnvelope(profile=profile_out(await profiles.profile(user, user.id)))

    async def delete_avatar(ctx: Ctx) -> ProfileEnvelope:
        user = await profiles.set_avatar(ctx.who.user, None)
        return ProfileEnvelope(profile=profile_out(await profiles.profile(user, user.id)))

    t = ["profiles"]
    return [
        Route(
            "GET",
            "/api/users/{id}/profile",
            get_profile,
            "A member's profile",
            response=ProfileEnvelope,
            tags=t,
        ),
        Route(
            "GET",
            "/api/users/by-handle/{handle}",
            by_handle,
            "A member by handle",
            response=UserEnvelope,
            tags=t,
        ),
        Route(
            "PATCH",
            "/api/me/profile",
            patch_profile,
            "Edit one's own profile",
            body=PatchProfileIn,
            response=ProfileEnvelope,
            tags=t,
        ),
        Route(
            "PUT",
            "/api/me/avatar",
            put_avatar,
            "Set one's avatar to an avatar upload",
            body=AvatarIn,
            response=ProfileEnvelope,
            tags=t,
        ),
        Route(
            "DELETE",
            "/api/me/avatar",
            delete_avatar,
            "Remove one's avatar",
            response=ProfileEnvelope,
            tags=t,
        ),
    ]
