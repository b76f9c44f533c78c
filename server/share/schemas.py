"""Wire models of the share endpoints."""

from __future__ import annotations

from typing import Literal

from server.core.schemas import Id, Out, StrictIn

Channel = Literal["link", "poster", "going"]


class PageQuery(StrictIn):
    ref: Id | None = None  # the sharer: a user id or a handle, carried into the page's links
    ch: Channel | None = None  # how the link travelled (referral attribution), carried with ref


class PosterQuery(StrictIn):
    ref: Id | None = None  # carried into the share URL the QR code holds, with ch=poster
    size: Literal["phone", "a4", "og"] = "phone"


class ShareLinksOut(Out):
    activity: str
    circle: str
    going: str | None  # the caller's own "I'm going" link, while their seat is theirs
    poster_png: str
    poster_svg: str
