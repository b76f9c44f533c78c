"""Account endpoints."""

from __future__ import annotations

from server.accounts.schemas import (
    AuthOut,
    LoginIn,
    MeOut,
    RegisterIn,
    UserOut,
)
from server.accounts.service import AccountService
from server.accounts.throttle import AuthThrottle, client_address
from server.http.routing import Ctx, Route


def routes(accounts: AccountService, throttle: AuthThrottle) -> list[Route]:
    async def register(ctx: Ctx) -> AuthOut:
        body: RegisterIn = ctx.body
        await throttle.before_register(client_address(ctx.request))
        token, user = await accounts.register(body.handle, body.password, body.display_name)
        return AuthOut(token=token, user=UserOut.of(user))

    async def login(ctx: Ctx) -> AuthOut:
        body: LoginIn = ctx.body
        address = client_address(ctx.request)
        await throttle.before_login(address, body.handle)
        token, user = await accounts.login(body.handle, body.password)
        await throttle.logged_in(address, body.handle)
        return AuthOut(token=token, user=UserOut.of(user))

    async def logout(ctx: Ctx) -> None:
        await accounts.logout(ctx.who)

    async def me(ctx: Ctx) -> MeOut:
        return MeOut(user=UserOut.of(ctx.who.user))

    async def rotate_calendar_keys(ctx: Ctx) -> None:
        await accounts.rotate_calendar_key(ctx.who.user)

    return [
        Route(
            "POST",
            "/api/auth/register",
            register,
            "Create an account",
            body=RegisterIn,
            response=AuthOut,
            status=201,
            auth=False,
            tags=["accounts"],
        ),
        Route(
            "POST",
            "/api/auth/login",
            login,
            "Log in",
            body=LoginIn,
            response=AuthOut,
            auth=False,
            tags=["accounts"],
        ),
        Route(
            "POST",
            "/api/auth/logout",
            logout,
            "Revoke this token everywhere",
            status=204,
            tags=["accounts"],
        ),
        Route("GET", "/api/me", me, "The current user", response=MeOut, tags=["accounts"]),
        Route(
            "POST",
            "/api/me/calendar-keys/rotate",
            rotate_calendar_keys,
            "Void every calendar link you were given; new links work",
            status=204,
            tags=["accounts"],
        ),
    ]
