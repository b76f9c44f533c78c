"""The JSON module python-socketio encodes Circles' packets with (``TextPacket.json``): its
events and acks, and the publishes of the Redis manager, which takes its packet class's module.

Every message is encoded at least twice on its way out (the ``message:new`` packet, the batch
published to the other processes) and its sender's ack once. ``orjson`` does that in C, in about
a tenth of the standard library's time for a message-sized payload (docs/performance.md, "The
budgets' decisions and the packets' JSON"). What it writes is the same JSON without spaces,
with three differences, all for the better on the wire: text is UTF-8 rather than ``\\u``
escapes (a frame is text, so UTF-8 either way), ``NaN`` and infinities are ``null`` (a browser's
``JSON.parse`` refuses the standard library's ``NaN``), and a ``datetime`` is encoded as ISO 8601
rather than refused. What orjson does not encode (an integer beyond 64 bits) goes to the
standard library as before.

Decoding is Engine.IO's own (the standard library, with its guard against integers of hundreds
of digits): what a client's malformed packet does is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from engineio import json as _engineio_json

_OPTIONS = orjson.OPT_NON_STR_KEYS  # as the standard library: {1: x} is {"1": x}

loads = _engineio_json.loads
JSONDecodeError = json.JSONDecodeError


def dumps(obj: Any, **_: Any) -> str:
    """``obj`` as compact JSON (``separators`` and the like are accepted and ignored: the
    output has no spaces, which is what python-socketio asks for)."""
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one: an integer beyond 64 bits, ...
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
