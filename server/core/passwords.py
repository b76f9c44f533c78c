"""Password hashing with argon2id. Hashing runs in a worker thread: it is slow on purpose."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id at OWASP's minimum (19 MiB, 2 passes) unless configured otherwise.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so that unknown handles and wrong passwords take
# the same time.
_DUMMY_HASH = _hasher.hash("circles-timing-equaliser")


def configure(time_cost: int, memory_kib: int) -> None:
    """Set the argon2id cost (PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB). Existing hashes carry
    their own parameters and keep verifying."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("circles-timing-equaliser")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
