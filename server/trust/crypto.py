"""Encryption at rest of identity-document numbers and account numbers (Fernet: AES-128-CBC
with HMAC-SHA256, from ``cryptography``). Several keys may be given during a rotation: the first
encrypts, all of them decrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def derived_key(secret: str) -> str:
    """A Fernet key derived from the server's secret key, for deployments that set no
    DOCUMENT_ENCRYPTION_KEYS: the documents are then as safe as SECRET_KEY."""
    digest = hmac.new(secret.encode(), b"circles-trust-documents", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


class Cipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("not sealed with any configured key") from None


def last4(value: str) -> str:
    return value[-4:]
