"""Reports for organisers: how an activity did (sign-ups, offers, cancellations, no-shows, money,
referrals), what a circle earned (revenue and the payment ledger as CSV) and how it grows and
talks (the circle report).

Glossary. A *sign-up row* is one state an entry of an activity was committed in: (activity,
user, status, the entry's ``updated_at``). The activity document keeps only each entry's current
state, so the report keeps these rows to know what happened before: offers made and what became
of them, cancellations and how long before the start, holds that ran out.

Invariants.
- Rows are only ever inserted, under an ``_id`` made of the state they describe, so recording the
  same commit twice (a retry, two processes, a restart that re-records everything) changes
  nothing; no counter is ever ``$inc``'d (FerretDB v1 loses concurrent updates).
- Rows are written by an activity watcher after the commit; a report reads them together with
  the activity's current state, so the newest state always counts even before its row is in.
- Nothing here reads or is told about messages: the send path does not change. Revenue and the
  ledger come from the payments of the circle's activities (the payment ledger is the truth).
- Every read is a top-level equality on a declared index (``activity_id``, ``circle_id``).

The circle report (circle_report.py) is read from daily rollups (rollups*.py): *facts* (a
message's state, a reaction, a sign-up, a join, a leave) stored once each, and *days* rewritten
whole from them by a sweeper that never touches the send path; ``rebuild.py`` recomputes them.
"""
