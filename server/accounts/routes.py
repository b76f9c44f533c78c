"""Account endpoints."""

from __future__ import annotations

from server.accounts.schemas import AuthOut, LoginIn, MeOut, RegisterIn, UserOut
from server.accounts.service import AccountService
from server.core.ratelimit import RateLimiter
from server.http.routing import Ctx, Route


def routes(accounts: AccountService, auth_limiter: RateLimiter) -> list[Route]:
    async def register(ctx: Ctx) -> AuthOut:
        body: RegisterIn = ctx.body
        await auth_limiter.hit(f"register:{ctx.request.client.host if ctx.request.client else ''}")
        token, user = await accounts.register(body.handle, body.password, body.display_name)
        return AuthOut(token=token, user=UserOut.of(user))

    async def login(ctx: Ctx) -> AuthOut:
        body: LoginIn = ctx.body
        await auth_limiter.hit(f"login:{body.handle}")
        token, user = await accounts.login(body.handle, body.password)
        return AuthOut(token=token, user=UserOut.of(user))

    async def logout(ctx: Ctx) -> None:
        await accounts.logout(ctx.who)

    async def me(ctx: Ctx) -> MeOut:
        return MeOut(user=UserOut.of(ctx.who.user))

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
    ]
