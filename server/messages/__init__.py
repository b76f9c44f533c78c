"""The conversation log shared by circles and DMs.

Glossary: a *conversation* is a circle's room (kind ``circle``) or a DM (kind ``dm``); a
*participant* is a user allowed to read and write it. Each message has a ``seq`` (its place in
the conversation) and a ``rev`` (the conversation's change counter at its latest change).

Invariants:
- ``seq`` is dense per conversation: a seq exists only on a stored message, and a new message takes
  the stored maximum plus one, enforced by the unique index ``(conversation_id, seq)``.
- ``(conversation_id, sender_id, client_id)`` is unique, so a retried send returns the stored
  message and creates nothing.
- ``rev`` strictly increases with every change; a message carries the rev of its latest change, so
  ``sync(since_rev)`` returns every message created or changed after ``since_rev``.
- Write, then emit: events go out only after the write succeeded.
- What a message shows of replies, reactions and pins is derived from a source of truth (the
  quoted message; the ``reactions`` and ``pins`` collections, keyed so a step cannot count twice)
  and written as a change of the message until the two agree (``MessageService.settle``).
"""
