"""Referral attribution: which share brought a new participant to an activity or a circle.

Glossary: a *referral* ``Via`` is what a share URL carries, the sharer (``ref``: a handle or a
user id) and the *channel* it travelled by (``link``, ``poster`` (the QR code on a poster),
``going`` (someone's "I'm going" page)). An *attribution* credits one sharer for one new
participant of one activity (a sign-up) or one circle (a join).

Invariants:
- At most one attribution per (activity or circle, participant): its ``_id`` is that triple, so
  a repeated or concurrent sign-up with a ref counts once, and the first sharer keeps the credit.
- An attribution is stored only after the sign-up or join it credits was stored; a refused one
  records nothing. A self-referral or a ref naming nobody is dropped silently: a share link is
  never a reason to refuse a sign-up.
- Nothing about logged-out visitors is stored.
"""
