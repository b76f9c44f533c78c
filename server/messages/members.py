"""Who takes part in which conversation, remembered by each process.

Every event on a conversation first checks that the caller takes part in it. On the embedded
database that check is one indexed lookup by ``_id``, flat with the data but about 1.2 ms of
FerretDB CPU (docs/performance.md, "What a read costs"): on every send, at the chat benchmark's
rates, half a core or more of a two-core machine. So a positive answer is remembered here and
forgotten when the participant leaves: at once on the process that removed them, and on every other
process when the ``leave`` control op reaches it (the op that also takes the user's sockets out
of the channel, so sending and receiving stop together). An answer read while a leave was being
applied is not remembered (``epoch``), and every entry expires after ``ttl`` seconds, which bounds
how long a leave whose control op was lost (Redis down) can go unnoticed.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class Participants:
    def __init__(self, ttl: float = 30.0, size: int = 200_000) -> None:
        self._ttl = ttl
        self._size = size
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """Changes with every forget: take it before a read, hand it to ``learn`` after."""
        return self._epoch

    def knows(self, conversation_id: str, user_id: str) -> bool:
        key = (conversation_id, user_id)
        until = self._seen.get(key)
        if until is None:
            return False
        if until < time.monotonic():
            del self._seen[key]
            return False
        return True

    def learn(self, conversation_id: str, user_id: str, epoch: int) -> None:
        if epoch != self._epoch:
            return  # a leave was applied while the answer was read: it may be stale
        self._seen[(conversation_id, user_id)] = time.monotonic() + self._ttl
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def forget(self, conversation_id: str, user_id: str) -> None:
        self._epoch += 1
        self._seen.pop((conversation_id, user_id), None)
