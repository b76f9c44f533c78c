"""Direct messages: one conversation per pair of users who share a circle.

Invariants: the DM's id is derived from the pair, so concurrent opens create one conversation;
only its two parties take part in it, and it is ``not_found`` to everyone else. Where one of
the two blocked the other (moderation/blocks.py), neither can open it nor send into it.
"""
