"""The permission table: which circle role may do what. The one place that decides it;
``allowed`` is the one check, and every gate (rooms/access.py, the conversation log's pins,
mentions and deletes, moderation) asks it.

Stored role values: ``owner``, ``admin`` and ``member`` (as before roles grew), plus
``moderator`` and ``checkin`` (check-in staff).
"""

from __future__ import annotations

from typing import Literal, get_args

from server.rooms.models import Role

Permission = Literal[
    "post",  # send messages in the circle's chat
    "post_media",  # links and images in messages
    "create_activities",
    "delete_messages",  # delete other members' messages (the tombstone names a moderator)
    "pin",
    "mention_everyone",
    "moderate",  # mute, kick, ban, unban
    "manage_roles",
    "manage_circle",  # invites and their revocation, slow mode, rules
    "view_audit",
    "view_reports",
    "check_in",  # check people in at activities
    "review_payments",
]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)
ROLES: tuple[Role, ...] = get_args(Role)

_STAFF: tuple[Permission, ...] = (
    "delete_messages",
    "pin",
    "mention_everyone",
    "moderate",
    "view_audit",
    "view_reports",
)
_EVERYONE: tuple[Permission, ...] = ("post", "post_media")

TABLE: dict[Role, frozenset[Permission]] = {
    "owner": frozenset(PERMISSIONS),
    "admin": frozenset(PERMISSIONS),
    "moderator": frozenset((*_EVERYONE, *_STAFF)),
    "checkin": frozenset((*_EVERYONE, "check_in")),
    "member": frozenset(_EVERYONE),
}

# Who may act on whom (mute, kick, ban, role changes): only on someone of a lower rank.
RANK: dict[Role, int] = {"owner": 4, "admin": 3, "moderator": 2, "checkin": 1, "member": 1}


def allowed(role: Role | None, permission: Permission) -> bool:
    """Whether a member of ``role`` (None: not a member) holds ``permission``."""
    return role is not None and permission in TABLE[role]


def everyone_may(permission: Permission) -> bool:
    """Whether every role holds ``permission``: a hot gate then need not read the role."""
    return all(permission in TABLE[role] for role in ROLES)


def permissions_of(role: Role) -> list[Permission]:
    """The role's permissions in the table's order (for ``GET .../permissions``)."""
    return [p for p in PERMISSIONS if p in TABLE[role]]


def outranks(actor: Role, target: Role | None) -> bool:
    """Whether ``actor`` may act on a member of ``target`` role (None: not a member)."""
    return target is None or RANK[actor] > RANK[target]
