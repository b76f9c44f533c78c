"""Discovery: finding upcoming activities across circles, and the sections of the Explore page.

Glossary: a **card** is the read-side copy of one activity that discovery serves (title, time,
place, circle, seat counts), stored under the activity's id with the **bucket keys** it belongs
to (``t:2026-W49@2026-12-05T12`` a two-hour slot, ``cat:hiking@2026-12-05``, ``tag:…@day``,
``geo:<cell>@week``, ``q:<term>@week``, ``c:<circle>@2026-12``, ``pop:2026-W49@<tier>``). A
bucket is read with one equality on the ``keys`` array (FerretDB v1 pushes it down and the GIN
mirror serves it, as for ``activities.participants``), so a request reads a bounded number of
small buckets and merges them; it never ranges over all activities. A **family** is a key
without its bucket (``cat:hiking``); **marks** say which buckets of a family hold cards, so a
walk skips empty weeks without reading them.

Invariants: a card is only ever replaced whole, by the newest activity version its writer saw,
and each writer re-reads the activity after writing, so the last writer leaves the newest card
(FerretDB v1 makes no single update atomic); a private circle's activity has only its circle's
keys, and every read checks each card's visibility again before returning it. Cards can always
be rebuilt from the activities (``python -m server.discovery.reconcile``).
"""
