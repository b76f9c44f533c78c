// The Socket.IO connection (PROTOCOL.md section 2). Every client->server event goes through
// `call`, which waits for the ack (10 s) and turns `{ok: false}` into a SocketError.

import { io, type Socket } from "socket.io-client";
import type { Ack, Conversation, Message, WireError } from "./types";
import type { components } from "./wire.gen";

export class SocketError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | null;

  constructor(error: WireError) {
    super(error.message || error.code);
    this.code = error.code;
    this.details = error.details ?? null;
  }
}

export type ConnState = "connecting" | "online" | "offline";

export interface ServerEvents {
  "message:new": (p: { message: Message }) => void;
  "message:updated": (p: { message: Message }) => void;
  typing: (p: { conversation_id: string; user_id: string }) => void;
  read: (p: { conversation_id: string; read_seq: number }) => void;
  presence: (p: { user_id: string; online: boolean }) => void;
  "conversation:new": (p: { conversation: Conversation }) => void;
  notification: (p: { notification: unknown }) => void;
  "circle:members": (p: { circle_id: string; conversation_id: string; member_count: number }) => void;
  "circle:removed": (p: { circle_id: string; conversation_id: string; reason: "kicked" | "banned" }) => void;
  "circle:join_decided": (p: components["schemas"]["JoinDecidedOut"]) => void;
  "circle:join_requested": (p: components["schemas"]["JoinRequestedOut"]) => void;
  "circle:link_held": (p: components["schemas"]["LinkHeldOut"]) => void;
  "circle:hold_decided": (p: components["schemas"]["HoldDecidedOut"]) => void;
}

export interface Handlers {
  /** Called on the first connect and on every reconnect, before any queued work is resent. */
  onConnect(): void;
  onState(state: ConnState): void;
  onUnauthorized(): void;
  events: Partial<ServerEvents>;
}

const ACK_TIMEOUT_MS = 10_000;

export class Connection {
  private readonly socket: Socket;
  private closed = false;

  constructor(token: string, handlers: Handlers) {
    this.socket = io(window.location.origin, {
      path: "/socket.io/",
      auth: { token },
      transports: ["websocket"],
      autoConnect: false,
    });
    const s = this.socket;
    s.on("connect", () => {
      handlers.onState("online");
      handlers.onConnect();
    });
    s.on("disconnect", (reason) => {
      handlers.onState("offline");
      // The server closed this socket on purpose (e.g. the token was revoked): socket.io does
      // not retry by itself, so try once; a revoked token then ends in connect_error below.
      if (reason === "io server disconnect") {
        setTimeout(() => {
          if (!this.closed) s.connect();
        }, 1000);
      }
    });
    s.on("connect_error", (err: Error & { data?: { code?: string } }) => {
      if (err.message === "unauthorized" || err.data?.code === "unauthorized") {
        handlers.onUnauthorized();
        return;
      }
      handlers.onState("offline");
    });
    s.io.on("reconnect_attempt", () => handlers.onState("connecting"));
    for (const [event, fn] of Object.entries(handlers.events)) {
      s.on(event, fn as (...args: unknown[]) => void);
    }
  }

  connect(): void {
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    this.socket.disconnect();
    this.socket.removeAllListeners();
    this.socket.io.off();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Drop the transport as a network failure would; socket.io then reconnects by itself. */
  dropTransport(): void {
    this.socket.io.engine?.close();
  }

  /** Emit `event` and resolve with the ack's `data`; rejects with SocketError on failure. */
  async call<T>(event: string, payload: object): Promise<T> {
    let ack: Ack<T>;
    try {
      ack = (await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<T>;
    } catch (err) {
      // socket.io rejects pending acks when the connection drops, and after the timeout.
      const dropped = err instanceof Error && /disconnected/.test(err.message);
      throw new SocketError(
        dropped
          ? { code: "unavailable", message: "The connection was lost" }
          : { code: "timeout", message: "The server did not answer in time" },
      );
    }
    if (!ack || typeof ack !== "object") {
      throw new SocketError({ code: "invalid", message: "Malformed acknowledgement" });
    }
    if (!ack.ok) throw new SocketError(ack.error);
    return ack.data;
  }
}
