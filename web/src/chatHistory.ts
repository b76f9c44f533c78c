// History and catch-up for the chat controller (chat.ts): newest page, scroll-back, `sync`
// after a reconnect, and loading back far enough to show one message in context (a search
// result, a reply's original). The store keeps one contiguous range per conversation (from
// `oldestSeq` up to the newest), so "in context" means paging back until the message is held.

import { store, type ConvState } from "./store";
import type { Message } from "./types";

export type Call = <T>(event: string, payload: object) => Promise<T>;

const HISTORY_PAGE = 50;
/** The largest page `history` serves: used when paging back to a far message. */
const HISTORY_MAX_PAGE = 100;
const SYNC_PAGE = 100;
/** Beyond this many sync pages, reload the newest history page instead. */
const SYNC_MAX_PAGES = 5;
/** How far back a jump may page (x HISTORY_MAX_PAGE messages) before giving up. */
const JUMP_MAX_PAGES = 30;

interface Page {
  messages: Message[];
  has_more: boolean;
}

/** The newest page, replacing nothing: merged by id like every other answer. */
export async function fetchNewestPage(call: Call, state: ConvState): Promise<void> {
  const data = await call<Page>("history", { conversation_id: state.conv.id, limit: HISTORY_PAGE });
  for (const m of data.messages) store.mergeMessage(state, m);
  const first = data.messages[0];
  state.oldestSeq = first && data.has_more ? first.seq : 1;
  state.hasMore = data.has_more;
  state.loaded = true;
  store.recountUnread(state);
  store.notify(`messages:${state.conv.id}`);
  store.notify("conversations");
}

/** The page just before the oldest message held. */
export async function fetchOlderPage(call: Call, state: ConvState, limit = HISTORY_PAGE): Promise<void> {
  const data = await call<Page>("history", {
    conversation_id: state.conv.id,
    before_seq: state.oldestSeq,
    limit,
  });
  for (const m of data.messages) store.mergeMessage(state, m);
  const first = data.messages[0];
  state.oldestSeq = first && data.has_more ? Math.min(first.seq, state.oldestSeq) : 1;
  state.hasMore = data.has_more;
  store.notify(`messages:${state.conv.id}`);
}

/**
 * Page back until `seq` is inside the range held (so the message shows with what surrounds
 * it), plus a few older ones for context above it. False when it is too far back.
 */
export async function fetchBackTo(call: Call, state: ConvState, seq: number): Promise<boolean> {
  for (let page = 0; state.hasMore && state.oldestSeq > seq - 10; page++) {
    if (page === JUMP_MAX_PAGES) return false;
    await fetchOlderPage(call, state, HISTORY_MAX_PAGE);
  }
  return true;
}

/**
 * Fetch every change since the highest rev held, page by page. After a long absence it is
 * cheaper to drop the copy and load the newest page again than to replay every change.
 */
export async function syncConversation(call: Call, state: ConvState): Promise<void> {
  for (let page = 0; ; page++) {
    if (page === SYNC_MAX_PAGES) {
      await reload(call, state);
      return;
    }
    const data = await call<{ messages: Message[]; rev: number; has_more: boolean }>("sync", {
      conversation_id: state.conv.id,
      since_rev: state.maxRev,
      limit: SYNC_PAGE,
    });
    for (const m of data.messages) store.mergeMessage(state, m);
    store.notify(`messages:${state.conv.id}`);
    if (!data.has_more || data.messages.length === 0) break;
  }
  store.recountUnread(state);
  store.notify("conversations");
}

/** Forget the messages held (not the outbox) and fetch the newest page afresh. */
async function reload(call: Call, state: ConvState): Promise<void> {
  state.messages.clear();
  state.maxRev = 0;
  state.loaded = false;
  state.hasMore = true;
  state.oldestSeq = Number.POSITIVE_INFINITY;
  await fetchNewestPage(call, state);
}

export function newestSeq(state: ConvState): number {
  let top = 0;
  for (const m of state.messages.values()) top = Math.max(top, m.seq);
  return top;
}
