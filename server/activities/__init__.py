"""Activities posted into circles as live sign-up cards.

Glossary: an *activity* has a ``capacity``; each user's *sign-up* (an entry of the activity) is
``confirmed``, ``waitlisted``, ``offered`` (a freed seat, with ``offer_expires_at``),
``pending_payment`` (a held seat, with ``hold_expires_at``), ``cancelled`` or ``attended``. A
*seat* is taken by confirmed, offered and pending_payment sign-ups.

Invariants, all resting on one fact: the activity document holds every sign-up of the activity
and is only ever replaced whole, conditionally on its ``version`` (compare-and-set), after the pure
rules in ``rules.py`` computed the new state. So, under any concurrency and across processes:
- seats taken <= capacity;
- waitlist numbers are unique and given in arrival order; a waitlisted user's position is the
  count of waitlisted users with a smaller number, plus one;
- each freed seat is offered exactly once, to the first person still waiting (one CAS decides it);
- counts stored on the document are recomputed from the entries on every write.
"""
