"""Payments for paid activities.

Glossary: a *payment* is one attempt by an attendee to pay for a held seat, through a *provider*
(``sandbox``: a checkout page served by Circles; ``manual``: a transfer the organiser confirms).
Its history is an append-only *ledger* of events.

Invariants:
- A payment's state changes only by appending ledger event ``n+1`` (unique id
  ``<payment>:<n>``), so two concurrent changes cannot both apply; the payments collection is a
  projection of the latest event.
- A webhook event id is recorded once (unique index): the same event delivered again, or
  concurrently, changes nothing. Events that do not fit the current state (out of order) are
  recorded and ignored.
- Nothing changes on an unsigned, badly signed, stale or replayed webhook.
- A success confirms the sign-up only if its seat is still held; otherwise it is refunded.
"""
