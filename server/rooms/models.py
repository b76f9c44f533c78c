"""Circle domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# "moderator" and "checkin" (check-in staff) joined the original three; the permission table is
# server/moderation/permissions.py
Role = Literal["owner", "admin", "moderator", "checkin", "member"]
Visibility = Literal["public", "private"]


@dataclass(frozen=True)
class Circle:
    id: str
    name: str
    description: str
    category: str
    tags: tuple[str, ...]
    visibility: Visibility
    owner_id: str
    member_count: int
    conversation_id: str
    created_at: datetime
    # moderation settings (server/moderation/): one message per N seconds per member (0: off)
    slow_mode_seconds: int = 0
    rules: str = ""  # rules text members accept before posting ("": none)
    rules_version: str = ""  # a new id whenever the rules change: accepting is per version
    invite_epoch: str = ""  # invites minted under another epoch were revoked
    owner_gen: int = 0  # ownership transfers so far (each claims the next number)
    # join approval (server/moderation/joins.py): joining takes a request that staff decide
    join_approval: bool = False
    join_questions: tuple[str, ...] = ()  # asked of whoever requests to join (up to 5)
    invites_skip_approval: bool = False  # a valid invite joins at once
    # newcomers' links are refused for this many hours after joining (moderation/newcomers.py)
    newcomer_link_hours: int = 0


@dataclass(frozen=True)
class Membership:
    circle_id: str
    user_id: str
    role: Role
    joined_at: datetime
