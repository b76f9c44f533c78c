"""Circles: the product's groups (the package keeps the fixed name ``rooms``).

Glossary: a *circle* has one *conversation*; a *membership* gives a user a ``role`` (owner, admin,
member). Invariants: exactly one owner, who cannot leave; a membership exists once per
(circle, user) (its id is that pair); every member takes part in the circle's conversation, and
``member_count`` equals the number of memberships (incremented only by the insert that created
the membership, decremented only by the delete that removed it).
"""
