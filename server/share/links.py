"""Share URLs and the signature of an "I'm going" link (pure: no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote, urlencode

# A ref names the sharer (a user id or a handle); anything else is refused as ``invalid``.
REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
SIG_BYTES = 16  # 128 bits: a signature cannot be guessed


def going_key(secret_key: str) -> bytes:
    """The going-link key, derived from the server key so it is never the key itself."""
    return hmac.new(secret_key.encode(), b"circles.share.going.v1", hashlib.sha256).digest()


def going_sig(key: bytes, activity_id: str, user_id: str) -> str:
    mac = hmac.new(key, f"{activity_id}\x00{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:SIG_BYTES]).decode().rstrip("=")


def going_sig_ok(key: bytes, activity_id: str, user_id: str, sig: str) -> bool:
    return hmac.compare_digest(going_sig(key, activity_id, user_id), sig)


def referral(ref: str | None, ch: str | None) -> dict[str, str]:
    """The query a share URL carries for referral attribution (server/referrals/): the sharer,
    and the channel unless it is ``link`` (what a URL without ``ch`` means). A channel without
    a sharer credits nobody, so it is dropped."""
    if not ref:
        return {}
    return {"ref": ref, **({"ch": ch} if ch and ch != "link" else {})}


def _with_ref(url: str, ref: str | None, ch: str | None = None) -> str:
    params = referral(ref, ch)
    return f"{url}?{urlencode(params)}" if params else url


class Links:
    """Absolute share URLs under the server's public base URL."""

    def __init__(self, base_url: str, key: bytes) -> None:
        self.base = base_url.rstrip("/")
        self._key = key

    def activity(self, activity_id: str, ref: str | None = None, ch: str | None = None) -> str:
        return _with_ref(f"{self.base}/s/a/{quote(activity_id)}", ref, ch)

    def circle(self, circle_id: str, ref: str | None = None, ch: str | None = None) -> str:
        return _with_ref(f"{self.base}/s/c/{quote(circle_id)}", ref, ch)

    def going(self, activity_id: str, user_id: str) -> str:
        sig = going_sig(self._key, activity_id, user_id)
        return f"{self.base}/s/g/{quote(activity_id)}/{quote(user_id)}/{sig}"

    def going_ok(self, activity_id: str, user_id: str, sig: str) -> bool:
        return going_sig_ok(self._key, activity_id, user_id, sig)

    def poster(self, share_url: str, ext: str, size: str | None = None) -> str:
        """The poster of a share URL (``…/s/a/<id>?ref=x`` → ``…/s/a/<id>/poster.png?…``)."""
        path, _, query = share_url.partition("?")
        params = [p for p in (f"size={size}" if size else "", query) if p]
        return f"{path}/poster.{ext}" + (f"?{'&'.join(params)}" if params else "")

    def signup(self, activity_id: str, ref: str | None, ch: str | None = None) -> str:
        """The web client's activity page; a signed-out visitor goes through login and the client
        comes back to it (web/src/main.ts keeps activity links across the login)."""
        params = {"signup": "1", **referral(ref, ch)}
        return f"{self.base}/#/activity/{quote(activity_id)}?{urlencode(params)}"

    def circle_app(self, circle_id: str, ref: str | None, ch: str | None = None) -> str:
        """The web client's circle page (about, organisers, join and follow), kept across the
        login like the join route."""
        return _with_ref(f"{self.base}/#/circle/{quote(circle_id)}/about", ref, ch)

    def join(self, circle_id: str, ref: str | None, ch: str | None = None) -> str:
        """The web client's join route (public circles join without an invite), kept across
        the login like the activity page."""
        return _with_ref(f"{self.base}/#/join/{quote(circle_id)}", ref, ch)
