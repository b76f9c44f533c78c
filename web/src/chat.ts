// The chat controller: owns the Socket.IO connection and keeps the store in step with the
// server. On every (re)connect it reloads `conversations`, then `sync`s each loaded
// conversation from the highest rev seen, then resends the outbox (same client_id, so a resend
// of a message the server already stored creates nothing).

import { Connection, SocketError, type ConnState } from "./socket";
import { store, type ConvState, type PendingMessage } from "./store";
import { newClientId } from "./ids";
import { notifications } from "./notifications";
import type { Conversation, Message, Notification } from "./types";

const HISTORY_PAGE = 50;
const SYNC_PAGE = 100;
/** Beyond this many sync pages, reload the newest history page instead. */
const SYNC_MAX_PAGES = 5;
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;
/** Failures worth retrying by themselves once the connection is back. */
const TRANSIENT = new Set(["timeout", "unavailable", "rate_limited"]);
const SEND_ATTEMPTS = 3;

interface Waiter {
  resolve: () => void;
}

export interface ChatCallbacks {
  onUnauthorized(): void;
  onConversationGone(id: string): void;
}

export class Chat {
  private conn: Connection | null = null;
  private waiters: Waiter[] = [];
  private readonly typingSentAt = new Map<string, number>();
  private readonly readInFlight = new Set<string>();
  private readonly loading = new Map<string, Promise<void>>();
  private refreshing: Promise<void> | null = null;
  private followUp: Promise<void> | null = null;
  private callbacks: ChatCallbacks | null = null;
  /** How many conversation lists have been received: a view that asked after opening can
   * tell "not in the list" (not a member) from "the list has not come yet". */
  listed = 0;
  /** Live member counts of circles by conversation id (`circle:members`); views redraw on
   * the store topic `members:<conversation_id>`. */
  readonly memberCounts = new Map<string, number>();

  start(token: string, callbacks: ChatCallbacks): void {
    this.stop();
    this.callbacks = callbacks;
    this.conn = new Connection(token, {
      onConnect: () => void this.onConnect(),
      onState: (state) => this.setConn(state),
      onUnauthorized: () => callbacks.onUnauthorized(),
      events: {
        "message:new": ({ message }) => this.onMessage(message, true),
        "message:updated": ({ message }) => this.onMessage(message, false),
        "conversation:new": ({ conversation }) => this.onConversation(conversation),
        read: ({ conversation_id, read_seq }) => this.onRead(conversation_id, read_seq),
        typing: ({ conversation_id, user_id }) => this.onTyping(conversation_id, user_id),
        presence: ({ user_id, online }) => {
          store.presence.set(user_id, online);
          store.notify("presence");
        },
        notification: ({ notification }) => notifications.onLive(notification as Notification),
        "circle:members": ({ conversation_id, member_count }) => {
          this.memberCounts.set(conversation_id, member_count);
          store.notify(`members:${conversation_id}`);
        },
      },
    });
    this.setConn("connecting");
    this.conn.connect();
  }

  stop(): void {
    this.conn?.close();
    this.conn = null;
    this.waiters = [];
    this.memberCounts.clear();
  }

  /** Test/debug aid: drop the transport the way a network failure would. */
  dropConnection(): void {
    this.conn?.dropTransport();
  }

  // ---- connection lifecycle -------------------------------------------------------------

  private setConn(state: ConnState): void {
    store.conn = state;
    store.notify("conn");
  }

  private async onConnect(): Promise<void> {
    // Anything may have changed while offline: views holding server state compare this.
    store.connects += 1;
    store.notify("conn");
    void notifications.load();
    try {
      await this.refreshConversations();
    } catch (err) {
      console.warn("conversation list after connect failed", err);
    }
    for (const state of [...store.conversations.values()]) {
      if (!state.loaded) continue;
      try {
        await this.sync(state);
      } catch (err) {
        console.warn("sync after connect failed", state.conv.id, err);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
    this.flushOutbox();
    if (store.activeId) void this.openConversation(store.activeId);
  }

  private whenConnected(): Promise<void> {
    if (this.conn?.connected) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }

  /** Emit a client event (e.g. `activity:signup`) and resolve with its ack's data. */
  request<T>(event: string, payload: object): Promise<T> {
    return this.call<T>(event, payload);
  }

  private call<T>(event: string, payload: object): Promise<T> {
    if (!this.conn) return Promise.reject(new SocketError({ code: "unavailable", message: "Offline" }));
    return this.conn.call<T>(event, payload);
  }

  // ---- conversations --------------------------------------------------------------------

  /**
   * Reload the conversation list. A call made while a request is in flight gets one follow-up
   * request (shared by every such caller), since the answer in flight may predate its change.
   */
  refreshConversations(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => (this.refreshing = null));
      return this.refreshing;
    }
    if (!this.followUp) {
      this.followUp = this.refreshing
        .catch(() => undefined)
        .then(() => {
          this.followUp = null;
          return this.refreshConversations();
        });
    }
    return this.followUp;
  }

  private async doRefresh(): Promise<void> {
    // Only conversations known before the request can be judged gone: one added meanwhile
    // (dm:open, conversation:new) may simply be newer than the answer.
    const before = [...store.conversations.keys()];
    const data = await this.call<{ conversations: Conversation[] }>("conversations", {});
    const seen = new Set<string>();
    for (const conv of data.conversations) {
      store.upsertConversation(conv);
      seen.add(conv.id);
    }
    for (const id of before) {
      if (!seen.has(id)) {
        store.conversations.delete(id);
        this.callbacks?.onConversationGone(id);
      }
    }
    this.listed += 1;
    store.notify("conversations");
  }

  /**
   * Fetch every change since the highest rev held, page by page. After a long absence it is
   * cheaper to drop the copy and load the newest page again than to replay every change.
   */
  private async sync(state: ConvState): Promise<void> {
    for (let page = 0; ; page++) {
      if (page === SYNC_MAX_PAGES) {
        await this.reload(state);
        return;
      }
      const data = await this.call<{ messages: Message[]; rev: number; has_more: boolean }>(
        "sync",
        { conversation_id: state.conv.id, since_rev: state.maxRev, limit: SYNC_PAGE },
      );
      for (const m of data.messages) store.mergeMessage(state, m);
      store.notify(`messages:${state.conv.id}`);
      if (!data.has_more || data.messages.length === 0) break;
    }
    store.recountUnread(state);
    store.notify("conversations");
  }

  /** Forget the messages held (not the outbox) and fetch the newest page afresh. */
  private async reload(state: ConvState): Promise<void> {
    state.messages.clear();
    state.maxRev = 0;
    state.loaded = false;
    state.hasMore = true;
    state.oldestSeq = Number.POSITIVE_INFINITY;
    await this.fetchNewestPage(state);
  }

  /** Make `id` the active conversation: load its newest page once, then mark it read. */
  async openConversation(id: string): Promise<void> {
    store.activeId = id;
    const state = store.get(id);
    if (!state) return;
    if (!state.loaded) await this.loadHistory(state);
    this.markRead(id);
  }

  private loadHistory(state: ConvState): Promise<void> {
    const id = state.conv.id;
    let running = this.loading.get(id);
    if (!running) {
      running = this.fetchNewestPage(state).finally(() => this.loading.delete(id));
      this.loading.set(id, running);
    }
    return running;
  }

  private async fetchNewestPage(state: ConvState): Promise<void> {
    await this.whenConnected();
    const data = await this.call<{ messages: Message[]; has_more: boolean }>("history", {
      conversation_id: state.conv.id,
      limit: HISTORY_PAGE,
    });
    for (const m of data.messages) store.mergeMessage(state, m);
    const first = data.messages[0];
    state.oldestSeq = first && data.has_more ? first.seq : 1;
    state.hasMore = data.has_more;
    state.loaded = true;
    store.recountUnread(state);
    store.notify(`messages:${state.conv.id}`);
    store.notify("conversations");
  }

  /** Scroll-back: the page just before the oldest message held. */
  async loadOlder(id: string): Promise<void> {
    const state = store.get(id);
    if (!state || !state.loaded || !state.hasMore || this.loading.has(id)) return;
    const run = (async () => {
      const data = await this.call<{ messages: Message[]; has_more: boolean }>("history", {
        conversation_id: id,
        before_seq: state.oldestSeq,
        limit: HISTORY_PAGE,
      });
      for (const m of data.messages) store.mergeMessage(state, m);
      const first = data.messages[0];
      state.oldestSeq = first && data.has_more ? Math.min(first.seq, state.oldestSeq) : 1;
      state.hasMore = data.has_more;
      store.notify(`messages:${id}`);
    })().finally(() => this.loading.delete(id));
    this.loading.set(id, run);
    await run;
  }

  async openDm(userId: string): Promise<string> {
    const data = await this.call<{ conversation: Conversation }>("dm:open", { user_id: userId });
    store.upsertConversation(data.conversation);
    store.notify("conversations");
    return data.conversation.id;
  }

  // ---- sending --------------------------------------------------------------------------

  send(conversationId: string, text: string): void {
    const state = store.get(conversationId);
    if (!state) return;
    const pending: PendingMessage = {
      client_id: newClientId(),
      conversation_id: conversationId,
      text,
      status: "queued",
      created_at: new Date().toISOString(),
    };
    state.pending.set(pending.client_id, pending);
    // Receivers drop the sender's typing indicator on this message: announce the next one.
    this.typingSentAt.delete(conversationId);
    store.notify(`messages:${conversationId}`);
    if (this.conn?.connected) void this.transmit(pending);
  }

  /** Send (or resend: same client_id, so the server answers with the stored copy). */
  retry(conversationId: string, clientId: string): void {
    const pending = store.get(conversationId)?.pending.get(clientId);
    if (pending && pending.status !== "sending") void this.transmit(pending);
  }

  discard(conversationId: string, clientId: string): void {
    store.get(conversationId)?.pending.delete(clientId);
    store.notify(`messages:${conversationId}`);
  }

  private async transmit(pending: PendingMessage): Promise<void> {
    const id = pending.conversation_id;
    pending.status = "sending";
    pending.error = undefined;
    store.notify(`messages:${id}`);
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await this.call<{ message: Message }>("message:send", {
          conversation_id: id,
          client_id: pending.client_id,
          text: pending.text,
        });
        const state = store.get(id);
        if (state) store.mergeMessage(state, data.message);
        state?.pending.delete(pending.client_id);
        break;
      } catch (err) {
        const code = err instanceof SocketError ? err.code : "unavailable";
        const transient = TRANSIENT.has(code);
        if (transient && !this.conn?.connected) {
          pending.status = "queued"; // resent by flushOutbox once the connection is back
          break;
        }
        if (transient && attempt < SEND_ATTEMPTS) {
          const retryAfter = err instanceof SocketError ? Number(err.details?.retry_after) : NaN;
          await delay(Number.isFinite(retryAfter) ? Math.min(retryAfter, 30) * 1000 : attempt * 1000);
          continue; // same client_id: a copy the server already stored is returned, not doubled
        }
        pending.status = "failed";
        pending.error = err instanceof Error ? err.message : String(err);
        break;
      }
    }
    store.notify(`messages:${id}`);
    this.markRead(id);
  }

  private flushOutbox(): void {
    for (const state of store.conversations.values()) {
      for (const pending of state.pending.values()) {
        if (pending.status === "queued") void this.transmit(pending);
      }
    }
  }

  async edit(messageId: string, conversationId: string, text: string): Promise<void> {
    const data = await this.call<{ message: Message }>("message:edit", {
      message_id: messageId,
      text,
    });
    this.apply(conversationId, data.message);
  }

  async remove(messageId: string, conversationId: string): Promise<void> {
    const data = await this.call<{ message: Message }>("message:delete", { message_id: messageId });
    this.apply(conversationId, data.message);
  }

  private apply(conversationId: string, message: Message): void {
    const state = store.get(message.conversation_id || conversationId);
    if (!state) return;
    store.mergeMessage(state, message);
    store.notify(`messages:${state.conv.id}`);
  }

  // ---- read markers and typing ----------------------------------------------------------

  /** Mark the active conversation read up to the newest message held, if the page is seen. */
  markRead(id: string): void {
    const state = store.get(id);
    if (!state || !state.loaded || store.activeId !== id) return;
    if (document.visibilityState !== "visible" || !this.conn?.connected) return;
    const top = newestSeq(state);
    if (top <= state.conv.read_seq && state.conv.unread === 0) return;
    if (this.readInFlight.has(id)) return;
    this.readInFlight.add(id);
    this.call<{ read_seq: number }>("read", {
      conversation_id: id,
      seq: Math.max(top, state.conv.read_seq),
    })
      .then((data) => {
        this.readInFlight.delete(id);
        this.onRead(id, data.read_seq);
        // Messages that arrived while the ack was in flight still need marking.
        if (newestSeq(state) > Math.max(top, state.conv.read_seq)) this.markRead(id);
      })
      .catch((err) => {
        this.readInFlight.delete(id);
        console.warn("read failed", err);
      });
  }

  typing(conversationId: string): void {
    const now = Date.now();
    if (now - (this.typingSentAt.get(conversationId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    this.typingSentAt.set(conversationId, now);
    if (this.conn?.connected) {
      this.call("typing", { conversation_id: conversationId }).catch(() => {});
    }
  }

  // ---- server events --------------------------------------------------------------------

  private onMessage(message: Message, isNew: boolean): void {
    const state = store.get(message.conversation_id);
    if (!state) {
      // A conversation this client has not heard of yet (e.g. a DM just opened by the peer).
      void this.refreshConversations().then(() => {
        const fresh = store.get(message.conversation_id);
        if (fresh) this.onMessage(message, isNew);
      });
      return;
    }
    const added = store.mergeMessage(state, message);
    if (added && isNew && message.sender_id !== store.me?.id) {
      state.typing.delete(message.sender_id);
      store.notify(`typing:${state.conv.id}`);
      const viewing = store.activeId === state.conv.id && document.visibilityState === "visible";
      if (viewing && state.loaded) this.markRead(state.conv.id);
      else if (message.seq > state.conv.read_seq && !message.deleted) state.conv.unread += 1;
    }
    store.notify(`messages:${state.conv.id}`);
    store.notify("conversations");
  }

  private onConversation(conv: Conversation): void {
    store.upsertConversation(conv);
    store.notify("conversations");
  }

  private onRead(conversationId: string, readSeq: number): void {
    const state = store.get(conversationId);
    if (!state) return;
    state.conv.read_seq = Math.max(state.conv.read_seq, readSeq);
    store.recountUnread(state);
    store.notify("conversations");
  }

  private onTyping(conversationId: string, userId: string): void {
    const state = store.get(conversationId);
    if (!state || userId === store.me?.id) return;
    // Someone typing has a live socket. The protocol has no presence snapshot on connect, so
    // this fills in users who came online before we did (a later `presence` corrects it).
    if (store.presence.get(userId) !== true) {
      store.presence.set(userId, true);
      store.notify("presence");
    }
    state.typing.set(userId, Date.now() + TYPING_SHOW_MS);
    store.notify(`typing:${conversationId}`);
    setTimeout(() => {
      const until = state.typing.get(userId);
      if (until !== undefined && until <= Date.now()) {
        state.typing.delete(userId);
        store.notify(`typing:${conversationId}`);
      }
    }, TYPING_SHOW_MS + 50);
  }
}

export const chat = new Chat();

function newestSeq(state: ConvState): number {
  let top = 0;
  for (const m of state.messages.values()) top = Math.max(top, m.seq);
  return top;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
