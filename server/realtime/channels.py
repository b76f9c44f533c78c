"""Socket.IO room names (called channels here), built in this one place."""

from __future__ import annotations


def conversation(conversation_id: str) -> str:
    # DM ids are minted with a "dm" prefix (messages.service.dm_id); circle ids are hex.
    kind = "dm" if conversation_id.startswith("dm") else "circle"
    return f"{kind}:{conversation_id}"


def user(user_id: str) -> str:
    return f"user:{user_id}"


def session(jti: str) -> str:
    return f"session:{jti}"


def conversation_of(channel: str) -> str | None:
    """The conversation id of a conversation channel, else None."""
    kind, _, rest = channel.partition(":")
    return rest if kind in ("dm", "circle") and rest else None
