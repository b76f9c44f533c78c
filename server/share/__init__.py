"""Share pages and posters: what a link or a QR code opened by anyone shows.

Glossary: a *share page* is a server-rendered HTML page for an activity (``/s/a/<id>``), a
circle (``/s/c/<id>``) or one person's "I'm going" (``/s/g/<activity_id>/<user_id>/<sig>``); a
*poster* is the same facts with a QR code of the share URL, as PNG or SVG.

Invariants:
- Every view is rendered for the anonymous public: whoever asks (signed in or not; a browser
  sends no bearer token with a page request) sees only public circles and their activities.
  A private circle, its activities, an unknown id and a forged "going" link all get the same
  refusal (``access.py``), so a share URL is no oracle for what exists.
- An "I'm going" link names one person and one activity and is signed by the server
  (``links.going_sig``): nobody can mint one for someone else, and the page says only that
  this person is going, never who else is.
- Nothing here writes: share pages and posters are reads (``ref`` and ``ch`` are carried through
  the links, not recorded; the sign-up or join they lead to credits the sharer, in
  server/referrals/).
"""
