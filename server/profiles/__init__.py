"""Member profiles: what a member shows about themselves (display name, avatar, bio, interests,
city), the circles they joined, the activities they attended (only if they opt in) and their
posts (server/posts/, the member feed).

Invariants: a private circle a member joined, and an activity in one, is shown only to that
circle's members (and to the member themself); attended activities are shown to others only
when the member's ``show_attended`` is on (default off); an avatar is an upload of scope
``avatar`` (cropped square by uploads/avatar.py), and the one it replaces is hidden.
"""
