"""Socket.IO transport: connect/auth, the event table, and the Broadcaster.

Invariants: only this package talks to python-socketio; only the Broadcaster emits or moves sockets
between channels; on every process a user's sockets are in ``user:<id>``, ``session:<jti>`` and the
channel of each conversation the user takes part in.
"""
