// How a conversation's messages are laid out, worked out apart from the DOM: date separators,
// the "New messages" divider, and grouping (consecutive messages of one sender within a few
// minutes show the avatar and name once, as Discord and WhatsApp do).

import type { Message } from "./types";

/** A sender's messages closer together than this are one group. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

export type Row =
  | { type: "date"; key: string; day: string }
  | { type: "divider" }
  | { type: "message"; msg: Message; continued: boolean };

export interface LayoutOptions {
  /** The viewer's read position when the conversation was opened. */
  readSeqAtOpen: number;
  /** The conversation's newest seq when it was opened: later messages were read live. */
  seqAtOpen: number;
  meId: string | null;
  /** The lowest seq of the contiguous range held (`ConvState.oldestSeq`). */
  heldFrom: number;
}

/** The local calendar day of an ISO time, as `YYYY-MM-DD`. */
export function localDay(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "Today", "Yesterday", or the date in the reader's locale ("Mon, 30 Nov 2026"). */
export function dayLabel(day: string, now = new Date()): string {
  if (day === localDay(now.toISOString())) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (day === localDay(yesterday.toISOString())) return "Yesterday";
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(y, m - 1, d);
  return date.toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: date.getFullYear() === now.getFullYear() ? undefined : "numeric",
  });
}

/** The first message that was unread when the conversation opened (not one of the viewer's). */
export function firstUnreadSeq(messages: Message[], opts: LayoutOptions): number | null {
  if (opts.readSeqAtOpen >= opts.seqAtOpen) return null;
  // Unread messages older than the range held: the divider would sit in the wrong place, so it
  // waits until scroll-back reaches the first unread.
  if (opts.heldFrom > opts.readSeqAtOpen + 1) return null;
  for (const m of messages) {
    if (m.seq > opts.readSeqAtOpen && m.seq <= opts.seqAtOpen && m.sender_id !== opts.meId && m.kind !== "system") {
      return m.seq;
    }
  }
  return null;
}

/** Messages (ascending seq) as rows: a date separator at each new day, the divider, groups. */
export function layoutRows(messages: Message[], opts: LayoutOptions): Row[] {
  const rows: Row[] = [];
  const unread = firstUnreadSeq(messages, opts);
  let prev: Message | null = null;
  let prevDay = "";
  for (const msg of messages) {
    const day = localDay(msg.created_at);
    let breaks = false;
    if (day !== prevDay) {
      rows.push({ type: "date", key: day, day });
      prevDay = day;
      breaks = true;
    }
    if (msg.seq === unread) {
      rows.push({ type: "divider" });
      breaks = true;
    }
    const continued =
      !breaks &&
      prev !== null &&
      continues(prev, msg);
    rows.push({ type: "message", msg, continued });
    prev = msg;
  }
  return rows;
}

function continues(prev: Message, msg: Message): boolean {
  if (msg.kind === "system" || prev.kind === "system") return false;
  if (prev.sender_id !== msg.sender_id) return false;
  const gap = Date.parse(msg.created_at) - Date.parse(prev.created_at);
  return gap >= 0 && gap < GROUP_GAP_MS;
}
