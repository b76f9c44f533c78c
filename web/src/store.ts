// Client-side state. Messages are merged by id (a higher `rev` replaces a lower one), so live
// events, history pages and sync answers can arrive in any order and overlap without ever
// producing a duplicate. Views subscribe to topics and re-render what changed.

import type { ConnState } from "./socket";
import type { Conversation, Message, User } from "./types";

export type PendingStatus = "queued" | "sending" | "failed";

/** A message the user sent that the server has not acknowledged yet (keyed by client_id). */
export interface PendingMessage {
  client_id: string;
  conversation_id: string;
  text: string;
  status: PendingStatus;
  error?: string;
  /** Held for review (a newcomer's link): staff decide, `circle:hold_decided` tells the sender. */
  hold_id?: string;
  created_at: string;
}

export interface ConvState {
  conv: Conversation;
  messages: Map<string, Message>;
  pending: Map<string, PendingMessage>;
  /** Highest message `rev` seen in this conversation: the `since_rev` of the next sync. */
  maxRev: number;
  /** History has been fetched; only loaded conversations are synced on reconnect. */
  loaded: boolean;
  /** Lowest seq of the contiguous range held; older messages come from `history`. */
  oldestSeq: number;
  hasMore: boolean;
  /** user_id -> time (ms) when their "typing" indicator expires. */
  typing: Map<string, number>;
}

export type Topic =
  | "conversations"
  | "conn"
  | "presence"
  | "me"
  | "notifications"
  | `messages:${string}`
  | `typing:${string}`
  | `activity:${string}`
  | `members:${string}`;

type Listener = () => void;

export class Store {
  me: User | null = null;
  conn: ConnState = "connecting";
  readonly conversations = new Map<string, ConvState>();
  readonly presence = new Map<string, boolean>();
  /** user_id -> display name, learnt from members, peers and message senders. */
  readonly names = new Map<string, string>();
  activeId: string | null = null;
  /**
   * Per activity id, what is known to have changed, so the views holding an activity's state can
   * tell whether theirs is stale: the highest card `version` seen in any conversation, and how
   * many notifications about it arrived. `connects` counts (re)connects: events may have been
   * missed while offline.
   */
  readonly activityVersions = new Map<string, number>();
  readonly activityNotices = new Map<string, number>();
  connects = 0;
  private readonly listeners = new Map<Topic, Set<Listener>>();

  subscribe(topic: Topic, fn: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  notify(topic: Topic): void {
    for (const fn of [...(this.listeners.get(topic) ?? [])]) fn();
  }

  reset(): void {
    this.me = null;
    this.conversations.clear();
    this.presence.clear();
    this.names.clear();
    this.activeId = null;
    this.activityVersions.clear();
    this.activityNotices.clear();
  }

  get(id: string): ConvState | undefined {
    return this.conversations.get(id);
  }

  /** Insert or refresh a conversation's metadata, keeping its messages. */
  upsertConversation(conv: Conversation): ConvState {
    let state = this.conversations.get(conv.id);
    if (!state) {
      state = {
        conv,
        messages: new Map(),
        pending: new Map(),
        maxRev: 0,
        loaded: false,
        oldestSeq: Number.POSITIVE_INFINITY,
        hasMore: true,
        typing: new Map(),
      };
      this.conversations.set(conv.id, state);
    } else {
      const seq = Math.max(state.conv.seq, conv.seq);
      const read = Math.max(state.conv.read_seq, conv.read_seq);
      state.conv = { ...conv, seq, read_seq: read };
    }
    if (conv.peer) {
      this.names.set(conv.peer.id, conv.peer.display_name);
      if (typeof conv.peer.online === "boolean") this.presence.set(conv.peer.id, conv.peer.online);
    }
    return state;
  }

  /** Merge one message; returns true when it was new or newer than the copy held. */
  mergeMessage(state: ConvState, msg: Message): boolean {
    const held = state.messages.get(msg.id);
    if (held && held.rev >= msg.rev) return false;
    // A card never goes back to an older state of its domain object.
    if (held && !msg.deleted && cardVersion(held) > cardVersion(msg)) {
      state.maxRev = Math.max(state.maxRev, msg.rev);
      return false;
    }
    state.messages.set(msg.id, msg);
    this.noteCard(msg);
    state.maxRev = Math.max(state.maxRev, msg.rev);
    state.conv.seq = Math.max(state.conv.seq, msg.seq);
    state.conv.rev = Math.max(state.conv.rev, msg.rev);
    if (msg.client_id && this.me && msg.sender_id === this.me.id) {
      state.pending.delete(msg.client_id);
    }
    if (msg.kind !== "system") this.names.set(msg.sender_id, msg.sender_name);
    return !held;
  }

  /** Record an activity card's version and tell the views showing that activity. */
  private noteCard(msg: Message): void {
    const card = msg.card;
    if (msg.deleted || !card || typeof card.activity_id !== "string") return;
    if (card.type === "payment") {
      // A payment of this activity changed (paid, refund started or done): the payer's sign-up
      // and payment and the organiser's payment list may be stale.
      const id = card.activity_id;
      this.activityNotices.set(id, (this.activityNotices.get(id) ?? 0) + 1);
      queueMicrotask(() => this.notify(`activity:${id}`));
      return;
    }
    if (card.type !== "activity") return;
    const id = card.activity_id;
    const version = cardVersion(msg);
    if (version <= (this.activityVersions.get(id) ?? -1)) return;
    this.activityVersions.set(id, version);
    // Deferred: listeners may fetch and re-render, which must not happen mid-merge.
    queueMicrotask(() => this.notify(`activity:${id}`));
  }

  /** A notification about an activity arrived: whatever its views hold may be stale. */
  noteActivityNotice(activityId: string): void {
    this.activityNotices.set(activityId, (this.activityNotices.get(activityId) ?? 0) + 1);
    this.notify(`activity:${activityId}`);
  }

  /** The messages to show: the contiguous range from `oldestSeq` up, ascending by seq. */
  visibleMessages(state: ConvState): Message[] {
    const out: Message[] = [];
    for (const m of state.messages.values()) if (m.seq >= state.oldestSeq) out.push(m);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Unread count recomputed after a read marker moved, using the messages held. */
  recountUnread(state: ConvState): void {
    const read = state.conv.read_seq;
    if (read >= state.conv.seq) {
      state.conv.unread = 0;
      return;
    }
    if (!state.loaded) return;
    let n = 0;
    for (const m of state.messages.values()) {
      if (m.seq > read && !m.deleted && m.sender_id !== this.me?.id) n++;
    }
    state.conv.unread = n;
  }

  totalUnread(): number {
    let n = 0;
    for (const s of this.conversations.values()) n += s.conv.unread;
    return n;
  }

  displayName(userId: string): string {
    if (this.me && userId === this.me.id) return this.me.display_name;
    return this.names.get(userId) ?? "Someone";
  }
}

export const store = new Store();

function cardVersion(msg: Message): number {
  const v = msg.card?.version;
  return typeof v === "number" ? v : -1;
}
