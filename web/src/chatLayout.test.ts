import { describe, expect, it } from "vitest";
import { dayLabel, firstUnreadSeq, layoutRows, localDay, type LayoutOptions } from "./chatLayout";
import { resolveReactionsMe, type ChatMessage } from "./chatTypes";
import type { Message } from "./types";

function msg(seq: number, sender: string, at: string, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    rev: seq,
    sender_id: sender,
    sender_name: sender,
    kind: "text",
    text: `text ${seq}`,
    card: null,
    client_id: null,
    created_at: at,
    edited_at: null,
    deleted: false,
    ...over,
  };
}

/** A local time on 2026-03-10 (the layout works in the reader's zone). */
function local(hour: number, minute: number, day = 10): string {
  return new Date(2026, 2, day, hour, minute).toISOString();
}

const ALL_READ: LayoutOptions = { readSeqAtOpen: 10, seqAtOpen: 10, meId: "me", heldFrom: 1 };

function shape(messages: Message[], opts: LayoutOptions = ALL_READ): string[] {
  return layoutRows(messages, opts).map((r) =>
    r.type === "date" ? `date ${r.day}` : r.type === "divider" ? "divider" : `${r.continued ? "+" : ""}${r.msg.seq}`,
  );
}

describe("layoutRows", () => {
  it("groups one sender's messages under five minutes apart, and starts a group otherwise", () => {
    const rows = shape([
      msg(1, "ann", local(9, 0)),
      msg(2, "ann", local(9, 4)),
      msg(3, "bob", local(9, 5)),
      msg(4, "ann", local(9, 6)),
      msg(5, "ann", local(9, 12)), // six minutes later
      msg(6, "ann", local(9, 13), { kind: "system" }),
      msg(7, "ann", local(9, 14)),
    ]);
    expect(rows).toEqual(["date 2026-03-10", "1", "+2", "3", "4", "5", "6", "7"]);
  });

  it("puts a date separator before the first message of each day, which starts a group", () => {
    const rows = shape([msg(1, "ann", local(23, 58, 10)), msg(2, "ann", local(0, 1, 11))]);
    expect(rows).toEqual(["date 2026-03-10", "1", "date 2026-03-11", "2"]);
  });

  it("puts the divider before the first unread message of someone else, breaking the group", () => {
    const messages = [msg(1, "ann", local(9, 0)), msg(2, "me", local(9, 0)), msg(3, "ann", local(9, 1)), msg(4, "ann", local(9, 1))];
    const opts = { readSeqAtOpen: 1, seqAtOpen: 4, meId: "me", heldFrom: 1 };
    expect(shape(messages, opts)).toEqual(["date 2026-03-10", "1", "2", "divider", "3", "+4"]);
    expect(firstUnreadSeq(messages, opts)).toBe(3);
  });

  it("shows no divider for messages read live or when the first unread is not held yet", () => {
    const messages = [msg(5, "ann", local(9, 0)), msg(6, "ann", local(9, 1))];
    expect(firstUnreadSeq(messages, { readSeqAtOpen: 6, seqAtOpen: 6, meId: "me", heldFrom: 5 })).toBeNull();
    expect(firstUnreadSeq(messages, { readSeqAtOpen: 2, seqAtOpen: 6, meId: "me", heldFrom: 5 })).toBeNull();
    expect(firstUnreadSeq(messages, { readSeqAtOpen: 4, seqAtOpen: 6, meId: "me", heldFrom: 5 })).toBe(5);
  });
});

describe("dayLabel", () => {
  it("says Today and Yesterday, else the date", () => {
    const now = new Date(2026, 2, 10, 12, 0);
    expect(dayLabel(localDay(now.toISOString()), now)).toBe("Today");
    expect(dayLabel("2026-03-09", now)).toBe("Yesterday");
    expect(dayLabel("2026-03-01", now)).not.toMatch(/Today|Yesterday/);
  });
});

describe("resolveReactionsMe", () => {
  const base = msg(1, "ann", local(9, 0));
  it("reads me from user_ids in a broadcast, and keeps what was known when the list is cut", () => {
    const held: ChatMessage = { ...base, reactions: [{ emoji: "🎉", count: 60, user_ids: [], me: true }] };
    const broadcast: ChatMessage = {
      ...base,
      rev: 2,
      reactions: [
        { emoji: "👍", count: 2, user_ids: ["ann", "me"], me: null },
        { emoji: "❤️", count: 1, user_ids: ["ann"], me: null },
        { emoji: "🎉", count: 61, user_ids: Array.from({ length: 50 }, (_, i) => `u${i}`), me: null },
      ],
    };
    const out = resolveReactionsMe(broadcast, held, "me") as ChatMessage;
    expect(out.reactions?.map((r) => [r.emoji, r.me])).toEqual([
      ["👍", true],
      ["❤️", false],
      ["🎉", true],
    ]);
  });
});
