"""Notifications: stored per user, delivered live to all of the user's sockets.

Invariant: a notification with a ``key`` is stored at most once (its id is a digest of the whole
key, never a cut-down key), so a step that is retried (a reminder re-sent after a lease expired)
never notifies twice; it is emitted only by the call that stored it.
"""
