"""The server's Socket.IO packets are encoded by orjson (realtime/codec.py), decoded as before.

Pure checks of what the codec writes where it differs from the standard library, and a send
driven through an in-process server: its ack and its broadcast are encoded by the codec, and a
text with emoji and accents arrives as it was sent.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from server.realtime import codec
from server.realtime.server import TextPacket
from tests.support.chat import relayed
from tests.support.security_infra import InProcess


def test_it_writes_compact_json_that_the_standard_library_reads_back() -> None:
    value = {"event": "message:new", "data": [{"text": "héllo 👋", "n": 3, "ok": True}], "x": None}
    out = codec.dumps(value, separators=(",", ":"))
    assert isinstance(out, str)
    assert ", " not in out and '": ' not in out
    assert "👋" in out  # UTF-8, not \\u escapes
    assert json.loads(out) == value


def test_what_the_standard_library_would_get_wrong_or_refuse() -> None:
    # NaN and infinities: the standard library writes NaN, which JSON.parse refuses
    assert codec.dumps({"v": math.nan, "w": math.inf}) == '{"v":null,"w":null}'
    # keys that are not strings become strings, as with the standard library
    assert json.loads(codec.dumps({1: "a"})) == {"1": "a"}


def test_an_integer_beyond_64_bits_falls_back_to_the_standard_library() -> None:
    big = 2**70
    assert json.loads(codec.dumps({"n": big})) == {"n": big}


def test_decoding_keeps_engineios_guard_against_huge_integers() -> None:
    assert codec.loads('{"n": 12}') == {"n": 12}
    with pytest.raises(ValueError):
        codec.loads('{"n": ' + "9" * 200 + "}")


async def test_a_sends_ack_and_broadcast_are_encoded_by_the_codec(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert in_process.container.sio.packet_class is TextPacket
    encoded: list[Any] = []
    real = codec.dumps

    def counting(obj: Any, **kwargs: Any) -> str:
        encoded.append(obj)
        return real(obj, **kwargs)

    monkeypatch.setattr(codec, "dumps", counting)
    text = "Ça va? 👋 naïve café"
    sent, got = await relayed(in_process.url, text, before=encoded.clear)
    assert got["text"] == text
    assert sent["text"] == text
    # the broadcast packet and the sender's ack both went through the codec
    assert any(isinstance(o, list) and o and o[0] == "message:new" for o in encoded)
    assert any(
        isinstance(o, list) and o and isinstance(o[0], dict) and o[0].get("ok") is True
        for o in encoded
    ), encoded
