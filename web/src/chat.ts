// The chat controller: owns the Socket.IO connection and keeps the store in step with the
// server. On every (re)connect it reloads `conversations`, then `sync`s each loaded
// conversation from the highest rev seen, then resends the outbox (same client_id, so a resend
// of a message the server already stored creates nothing).

import { Connection, SocketError, type ConnState } from "./socket";
import { store, type ConvState } from "./store";
import { fetchBackTo, fetchNewestPage, fetchOlderPage, newestSeq, syncConversation, type Call } from "./chatHistory";
import { bumpMentions, clearMentions, mentionsViewer, noteLastMessage } from "./chatPreview";
import { Outbox, type SendExtras } from "./chatOutbox";
import { resolveReactionsMe } from "./chatTypes";
import { notifications } from "./notifications";
import { joinDecided } from "./views/joinRequests";
import { joinRequested } from "./views/joinRequestsStaff";
import { linkHeld } from "./views/linkHeld";
import type { Conversation, Message, Notification } from "./types";

export type { SendExtras } from "./chatOutbox";

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;

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
  /** Conversations of circles the viewer was removed from this session, with why. */
  readonly removed = new Map<string, "kicked" | "banned">();
  private readonly outbox = new Outbox({
    call: (event, payload) => this.call(event, payload),
    connected: () => this.conn?.connected === true,
    afterSend: (id) => this.markRead(id),
  });

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
        // Kicked or banned (docs/protocol.md "Roles and moderation"): the server has already
        // taken the conversation away; drop it now so the sidebar and an open chat follow.
        // A join request decided (views/joinRequestsAsk.ts shows it); an approval also
        // sends conversation:new, and the list is refreshed in case that came first.
        "circle:join_decided": (decided) => {
          joinDecided(decided);
          if (decided.status === "approved") void this.refreshConversations().catch(() => undefined);
        },
        // Staff only: someone asked to join (the settings' request list adds it).
        "circle:join_requested": (requested) => joinRequested(requested),
        // Staff only: a newcomer's link was refused (a short notice says so).
        "circle:link_held": (held) => linkHeld(held),
        // To the sender: staff decided their held message (chatOutbox.holdDecided).
        "circle:hold_decided": ({ hold_id, status, reason }) => this.outbox.holdDecided(hold_id, status, reason),
        "circle:removed": ({ conversation_id, reason }) => {
          this.removed.set(conversation_id, reason);
          store.conversations.delete(conversation_id);
          store.notify("conversations");
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
        await syncConversation(this.callFn, state);
      } catch (err) {
        console.warn("sync after connect failed", state.conv.id, err);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
    this.outbox.flush();
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

  private readonly callFn: Call = <T>(event: string, payload: object) => this.call<T>(event, payload);

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
    await fetchNewestPage(this.callFn, state);
  }

  /** Scroll-back: the page just before the oldest message held. */
  async loadOlder(id: string): Promise<void> {
    const state = store.get(id);
    if (!state || !state.loaded || !state.hasMore || this.loading.has(id)) return;
    const run = fetchOlderPage(this.callFn, state).finally(() => this.loading.delete(id));
    this.loading.set(id, run);
    await run;
  }

  /** Load history back to `seq` so that message can be shown in context; false if too far. */
  async loadBackTo(id: string, seq: number): Promise<boolean> {
    const state = store.get(id);
    if (!state) return false;
    if (!state.loaded) await this.loadHistory(state);
    await this.loading.get(id);
    return fetchBackTo(this.callFn, state, seq);
  }

  async openDm(userId: string): Promise<string> {
    const data = await this.call<{ conversation: Conversation }>("dm:open", { user_id: userId });
    store.upsertConversation(data.conversation);
    store.notify("conversations");
    return data.conversation.id;
  }

  // ---- sending (chatOutbox.ts) ---------------------------------------------------------

  send(conversationId: string, text: string, extras: SendExtras = {}): void {
    // Receivers drop the sender's typing indicator on this message: announce the next one.
    this.typingSentAt.delete(conversationId);
    this.outbox.send(conversationId, text, extras);
  }

  /** Send (or resend: same client_id, so the server answers with the stored copy). */
  retry(conversationId: string, clientId: string): void {
    this.outbox.retry(conversationId, clientId);
  }

  discard(conversationId: string, clientId: string): void {
    this.outbox.discard(conversationId, clientId);
  }

  async edit(messageId: string, conversationId: string, text: string): Promise<void> {
    const data = await this.call<{ message: Message }>("message:edit", {
      message_id: messageId,
      text,
    });
    this.applyMessage(conversationId, data.message);
  }

  async remove(messageId: string, conversationId: string): Promise<void> {
    const data = await this.call<{ message: Message }>("message:delete", { message_id: messageId });
    this.applyMessage(conversationId, data.message);
  }

  /** Merge a message an ack returned (edit, delete, reaction, pin) and redraw it. */
  applyMessage(conversationId: string, message: Message): void {
    const state = store.get(message.conversation_id || conversationId);
    if (!state) return;
    store.mergeMessage(state, resolveReactionsMe(message, state.messages.get(message.id), store.me?.id));
    noteLastMessage(state, message);
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
    message = resolveReactionsMe(message, state.messages.get(message.id), store.me?.id);
    const added = store.mergeMessage(state, message);
    noteLastMessage(state, message);
    if (added && isNew && message.sender_id !== store.me?.id) {
      state.typing.delete(message.sender_id);
      store.notify(`typing:${state.conv.id}`);
      const viewing = store.activeId === state.conv.id && document.visibilityState === "visible";
      if (viewing && state.loaded) this.markRead(state.conv.id);
      else if (message.seq > state.conv.read_seq && !message.deleted) {
        state.conv.unread += 1;
        if (mentionsViewer(message, store.me)) bumpMentions(state);
      }
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
    if (state.conv.unread === 0) clearMentions(state);
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
