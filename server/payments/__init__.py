"""Payments for paid activities.

Glossary: a *payment* is one attempt by an attendee to pay for a held seat, through a *provider*
(``manual``: a transfer the organiser confirms; ``sandbox``: a *test* provider whose checkout is a
page of the web client and where no money moves). Providers are enabled by
``PAYMENT_PROVIDERS`` (``manual`` only by default). Its history is an append-only *ledger* of
events. A manual payment's transfer reference starts the organiser's *review window*, during
which the seat stays held.

Invariants:
- A payment's state changes only by appending ledger event ``n+1`` (unique id
  ``<payment>:<n>``), so two concurrent changes cannot both apply; the payments collection is a
  projection of the latest event.
- A webhook event id is recorded once (unique index): the same event delivered again, or
  concurrently, changes nothing. Events that do not fit the current state (out of order) are
  recorded and ignored.
- Nothing changes on an unsigned, badly signed, stale, replayed, malformed or mismatched
  (amount or currency) webhook.
- Only the payer's own session completes a sandbox checkout; test (sandbox) money is never
  counted as real money.
- A success confirms the sign-up only if its seat is still held (or, for an organiser's late
  confirmation, free with nobody waiting); otherwise it is refunded.
"""
