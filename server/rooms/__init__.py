"""Circles: the product's groups (the package keeps the fixed name ``rooms``).

Glossary: a *circle* has one *conversation*; a *membership* gives a user a ``role`` (owner, admin,
member). Invariants: exactly one owner, who cannot leave; a membership exists once per
(circle, user) (its id is that pair); every member takes part in the circle's conversation, and
``member_count`` is recounted from the memberships after every join and leave.
"""
