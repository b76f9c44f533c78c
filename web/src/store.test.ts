import { describe, expect, it } from "vitest";
import { Store } from "./store";
import type { Conversation, Message, Peer, User } from "./types";

const ME: User = {
  id: "u-me",
  handle: "me",
  display_name: "Me",
  bio: null,
  avatar_url: null,
  created_at: "2026-01-01T00:00:00Z",
};

function conversation(over: Partial<Conversation> = {}): Conversation {
  return { id: "c1", kind: "circle", title: "Hikers", circle_id: "k1", peer: null, seq: 0, rev: 0, read_seq: 0, unread: 0, ...over };
}

function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    rev: seq,
    sender_id: "u-ann",
    sender_name: "Ann",
    kind: "text",
    text: `message ${seq}`,
    card: null,
    client_id: null,
    created_at: "2026-01-01T00:00:00Z",
    edited_at: null,
    deleted: false,
    ...over,
  };
}

function activityCard(version: number, activityId = "a1"): Message["card"] {
  return { type: "activity", activity_id: activityId, version };
}

describe("merging messages", () => {
  it("keeps one copy per id and lets only a higher rev replace it", () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    expect(store.mergeMessage(state, message(1, { rev: 5, text: "v5" }))).toBe(true);
    expect(store.mergeMessage(state, message(1, { rev: 5, text: "again" }))).toBe(false);
    expect(store.mergeMessage(state, message(1, { rev: 4, text: "older" }))).toBe(false);
    expect(state.messages.get("m1")?.text).toBe("v5");
    // A newer rev replaces it, but is not a new message.
    expect(store.mergeMessage(state, message(1, { rev: 9, text: "edited" }))).toBe(false);
    expect(state.messages.get("m1")?.text).toBe("edited");
    expect(state.messages.size).toBe(1);
    expect(state.maxRev).toBe(9);
  });

  it("shows the same messages in seq order whatever order they came in", () => {
    const arrivals = [[3, 1, 2], [2, 3, 1, 3, 1], [1, 2, 3]];
    for (const order of arrivals) {
      const store = new Store();
      const state = store.upsertConversation(conversation());
      for (const seq of order) store.mergeMessage(state, message(seq));
      state.oldestSeq = 1;
      expect(store.visibleMessages(state).map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(state.conv.seq).toBe(3);
      expect(state.maxRev).toBe(3);
    }
  });

  it("shows only the contiguous range from oldestSeq up", () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    for (const seq of [1, 5, 6, 7]) store.mergeMessage(state, message(seq));
    state.oldestSeq = 5;
    expect(store.visibleMessages(state).map((m) => m.seq)).toEqual([5, 6, 7]);
  });

  it("settles my pending send when its message comes back with the same client_id", () => {
    const store = new Store();
    store.me = ME;
    const state = store.upsertConversation(conversation());
    state.pending.set("cid-1", {
      client_id: "cid-1",
      conversation_id: "c1",
      text: "hi",
      status: "sending",
      created_at: "2026-01-01T00:00:00Z",
    });
    store.mergeMessage(state, message(1, { client_id: "cid-1", sender_id: "u-other" }));
    expect(state.pending.has("cid-1")).toBe(true); // someone else's message never settles mine
    store.mergeMessage(state, message(2, { client_id: "cid-1", sender_id: ME.id }));
    expect(state.pending.has("cid-1")).toBe(false);
  });

  it("learns senders' names, but not from system messages", () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    store.mergeMessage(state, message(1, { sender_id: "u-bob", sender_name: "Bob" }));
    store.mergeMessage(state, message(2, { sender_id: "u-sys", sender_name: "System", kind: "system" }));
    expect(store.displayName("u-bob")).toBe("Bob");
    expect(store.displayName("u-sys")).toBe("Someone");
  });
});

describe("cards", () => {
  it("never lets a card go back to an older version of its activity", () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    store.mergeMessage(state, message(1, { rev: 10, kind: "card", card: activityCard(3) }));
    // A higher rev carrying an older version (a reordered update) is ignored, rev still noted.
    expect(store.mergeMessage(state, message(1, { rev: 11, kind: "card", card: activityCard(2) }))).toBe(false);
    expect(state.messages.get("m1")?.card?.version).toBe(3);
    expect(state.maxRev).toBe(11);
    store.mergeMessage(state, message(1, { rev: 12, kind: "card", card: activityCard(4) }));
    expect(state.messages.get("m1")?.card?.version).toBe(4);
    // Deleting the card's message wins whatever its version.
    store.mergeMessage(state, message(1, { rev: 13, kind: "card", card: activityCard(1), deleted: true }));
    expect(state.messages.get("m1")?.deleted).toBe(true);
  });

  it("tells the activity's views once per newer version, after the merge", async () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    let calls = 0;
    store.subscribe("activity:a1", () => calls++);
    store.mergeMessage(state, message(1, { kind: "card", card: activityCard(1) }));
    expect(calls).toBe(0); // deferred, so a listener never runs mid-merge
    await Promise.resolve();
    expect(calls).toBe(1);
    expect(store.activityVersions.get("a1")).toBe(1);
    // The same version again (another conversation's copy) is not news.
    store.mergeMessage(state, message(2, { kind: "card", card: activityCard(1) }));
    await Promise.resolve();
    expect(calls).toBe(1);
  });

  it("counts a payment card as a notice about its activity", async () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    let calls = 0;
    store.subscribe("activity:a1", () => calls++);
    store.mergeMessage(state, message(1, { kind: "card", card: { type: "payment", activity_id: "a1" } }));
    await Promise.resolve();
    expect(calls).toBe(1);
    expect(store.activityNotices.get("a1")).toBe(1);
  });
});

describe("conversations and unread counts", () => {
  it("never moves seq or the read marker backwards on a stale listing", () => {
    const store = new Store();
    store.upsertConversation(conversation({ seq: 10, read_seq: 8, title: "old" }));
    const state = store.upsertConversation(conversation({ seq: 7, read_seq: 5, title: "new" }));
    expect(state.conv.seq).toBe(10);
    expect(state.conv.read_seq).toBe(8);
    expect(state.conv.title).toBe("new");
  });

  it("keeps the messages held when a conversation is listed again", () => {
    const store = new Store();
    const state = store.upsertConversation(conversation());
    store.mergeMessage(state, message(1));
    expect(store.upsertConversation(conversation()).messages.size).toBe(1);
  });

  it("learns a DM peer's name and presence", () => {
    const store = new Store();
    const peer: Peer = { id: "u-peer", handle: "pat", display_name: "Pat", online: true };
    store.upsertConversation(conversation({ kind: "dm", circle_id: null, peer }));
    expect(store.displayName("u-peer")).toBe("Pat");
    expect(store.presence.get("u-peer")).toBe(true);
  });

  it("counts unread messages after the read marker, not mine and not deleted ones", () => {
    const store = new Store();
    store.me = ME;
    const state = store.upsertConversation(conversation({ unread: 99 }));
    state.loaded = true;
    store.mergeMessage(state, message(1));
    store.mergeMessage(state, message(2));
    store.mergeMessage(state, message(3, { sender_id: ME.id }));
    store.mergeMessage(state, message(4, { deleted: true }));
    store.mergeMessage(state, message(5));
    state.conv.read_seq = 1;
    store.recountUnread(state);
    expect(state.conv.unread).toBe(2); // seq 2 and 5
    state.conv.read_seq = 5;
    store.recountUnread(state);
    expect(state.conv.unread).toBe(0);
  });

  it("adds up unread counts across conversations", () => {
    const store = new Store();
    store.upsertConversation(conversation({ id: "c1", unread: 2 }));
    store.upsertConversation(conversation({ id: "c2", unread: 3 }));
    expect(store.totalUnread()).toBe(5);
  });
});

describe("subscriptions", () => {
  it("calls each listener of a topic until it unsubscribes", () => {
    const store = new Store();
    const seen: string[] = [];
    const off = store.subscribe("conversations", () => seen.push("a"));
    store.subscribe("conversations", () => seen.push("b"));
    store.subscribe("me", () => seen.push("me"));
    store.notify("conversations");
    off();
    store.notify("conversations");
    expect(seen).toEqual(["a", "b", "b"]);
  });
});
