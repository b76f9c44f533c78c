"""Accounts and sessions.

Glossary: a *user* has a unique ``handle``; a *session* is one login, named by the ``jti`` carried
in its signed token. Invariants: a token is honoured only while its session document exists,
is not revoked and has not expired; logout revokes the session, so every copy of that token stops
working on every process at once.
"""
