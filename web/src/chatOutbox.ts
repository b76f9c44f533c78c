// The outbox of the chat controller (chat.ts): every send shows at once as pending, goes out
// when the connection is up, is retried on transient failures with the same `client_id` (the
// server returns the stored copy instead of storing it twice) and waits for the next connect
// when offline. A send may carry a reply and uploaded attachments (issue 11).

import type { Call } from "./chatHistory";
import { noteLastMessage } from "./chatPreview";
import type { ChatMessage } from "./chatTypes";
import { newClientId } from "./ids";
import { SocketError } from "./socket";
import { store, type PendingMessage } from "./store";
import type { Message } from "./types";

/** Failures worth retrying by themselves once the connection is back. */
const TRANSIENT = new Set(["timeout", "unavailable", "rate_limited"]);
const SEND_ATTEMPTS = 3;

/** What a send may carry besides its text: a reply and uploaded attachments. */
export interface SendExtras {
  reply_to?: string;
  attachments?: string[];
  /** Shown on the pending copy until the ack: the quote and the local file names. */
  replyQuote?: ChatMessage;
  attachmentNames?: string[];
}

type Outgoing = PendingMessage & SendExtras;

export interface OutboxHooks {
  call: Call;
  connected: () => boolean;
  /** After each send ends (stored or failed): e.g. mark the conversation read. */
  afterSend: (conversationId: string) => void;
}

export class Outbox {
  constructor(private readonly hooks: OutboxHooks) {}

  send(conversationId: string, text: string, extras: SendExtras = {}): void {
    const state = store.get(conversationId);
    if (!state) return;
    const pending: Outgoing = {
      client_id: newClientId(),
      conversation_id: conversationId,
      text,
      status: "queued",
      created_at: new Date().toISOString(),
      ...extras,
    };
    state.pending.set(pending.client_id, pending);
    store.notify(`messages:${conversationId}`);
    if (this.hooks.connected()) void this.transmit(pending);
  }

  retry(conversationId: string, clientId: string): void {
    const pending = store.get(conversationId)?.pending.get(clientId);
    if (pending && pending.status !== "sending") void this.transmit(pending);
  }

  discard(conversationId: string, clientId: string): void {
    store.get(conversationId)?.pending.delete(clientId);
    store.notify(`messages:${conversationId}`);
  }

  /** Staff decided a held message: an approved one arrives as `message:new`, so its failed
   *  copy goes; a declined one stays, saying so. */
  holdDecided(holdId: string, status: "approved" | "declined", reason: string): void {
    for (const state of store.conversations.values()) {
      for (const pending of state.pending.values()) {
        if (pending.hold_id !== holdId) continue;
        if (status === "approved") state.pending.delete(pending.client_id);
        else pending.error = reason ? `Declined by a moderator: ${reason}` : "Declined by a moderator";
        store.notify(`messages:${state.conv.id}`);
      }
    }
  }

  /** Send everything queued while offline (called once connected again). */
  flush(): void {
    for (const state of store.conversations.values()) {
      for (const pending of state.pending.values()) {
        if (pending.status === "queued") void this.transmit(pending);
      }
    }
  }

  private async transmit(pending: Outgoing): Promise<void> {
    const id = pending.conversation_id;
    pending.status = "sending";
    pending.error = undefined;
    store.notify(`messages:${id}`);
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await this.hooks.call<{ message: Message }>("message:send", {
          conversation_id: id,
          client_id: pending.client_id,
          text: pending.text,
          ...(pending.reply_to ? { reply_to: pending.reply_to } : {}),
          ...(pending.attachments?.length ? { attachments: pending.attachments } : {}),
        });
        const state = store.get(id);
        if (state) {
          store.mergeMessage(state, data.message);
          noteLastMessage(state, data.message);
          store.notify("conversations");
        }
        state?.pending.delete(pending.client_id);
        break;
      } catch (err) {
        const code = err instanceof SocketError ? err.code : "unavailable";
        const transient = TRANSIENT.has(code);
        if (transient && !this.hooks.connected()) {
          pending.status = "queued"; // resent by flush() once the connection is back
          break;
        }
        if (transient && attempt < SEND_ATTEMPTS) {
          const retryAfter = err instanceof SocketError ? Number(err.details?.retry_after) : NaN;
          await delay(Number.isFinite(retryAfter) ? Math.min(retryAfter, 30) * 1000 : attempt * 1000);
          continue; // same client_id: a copy the server already stored is returned, not doubled
        }
        pending.status = "failed";
        pending.error = err instanceof Error ? err.message : String(err);
        const hold = err instanceof SocketError ? err.details?.hold_id : undefined;
        if (err instanceof SocketError && err.details?.reason === "held_for_review" && typeof hold === "string") {
          pending.hold_id = hold; // kept until staff decide (Chat.onHoldDecided)
        }
        break;
      }
    }
    store.notify(`messages:${id}`);
    this.hooks.afterSend(id);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
