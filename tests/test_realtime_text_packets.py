"""The server's Socket.IO packets are never scanned for bytes (realtime/server.TextPacket).

python-socketio walked each payload, every list and dict in it, on every emit and every ack,
looking for binary attachments Circles never sends. Driven through an in-process server: a send,
its ack and its broadcast go through, and no packet of the server's class was scanned.
"""

from __future__ import annotations

from typing import Any

import pytest
import socketio.packet

from tests.support.chat import relayed
from tests.support.security_infra import InProcess


async def test_a_send_its_ack_and_its_broadcast_scan_no_payload_for_bytes(
    in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned: list[type] = []
    real = socketio.packet.Packet.data_is_binary.__func__  # type: ignore[attr-defined]

    def data_is_binary(cls: type, data: Any) -> bool:
        scanned.append(cls)
        return bool(real(cls, data))

    monkeypatch.setattr(socketio.packet.Packet, "data_is_binary", classmethod(data_is_binary))
    server_packets = in_process.container.sio.packet_class
    _, got = await relayed(in_process.url, "no bytes here", before=scanned.clear)
    assert got["text"] == "no bytes here"
    assert server_packets not in scanned, scanned
