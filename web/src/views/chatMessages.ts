// The message list of a conversation: rows laid out by chatLayout.ts (date separators, the
// "New messages" divider, sender groups), scroll-back, the jump-to-latest button with a count
// of messages that came while scrolled up, and showing one message in context (search results,
// reply quotes, pins).

import { describeError } from "../api";
import { chat } from "../chat";
import { dayLabel, layoutRows, type LayoutOptions } from "../chatLayout";
import { setPinned, setReaction } from "../chatSocial";
import type { ReplyQuote } from "../chatTypes";
import { h } from "../dom";
import { store, type ConvState } from "../store";
import type { Message } from "../types";
import { KeyedList, type KeyedItem } from "./keyedList";
import { messageItem, pendingItem, type PendingContext } from "./messageItem";

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 60;
const HIGHLIGHT_MS = 2500;

export interface MessageListHooks {
  onReply: (msg: Message) => void;
  /** Whether the viewer moderates (delete others' messages, pin). */
  moderator: () => boolean;
  showError: (text: string) => void;
}

export interface MessageList {
  el: HTMLElement;
  render: () => void;
  scrollToBottom: () => void;
  /** Show a message in context: load back to it if needed, scroll to it, highlight it. */
  jumpTo: (messageId: string, seq: number) => Promise<boolean>;
}

export function messageList(state: ConvState, hooks: MessageListHooks): MessageList {
  const id = state.conv.id;
  const layout: LayoutOptions = {
    readSeqAtOpen: state.conv.read_seq,
    seqAtOpen: state.conv.seq,
    meId: store.me?.id ?? null,
    heldFrom: state.oldestSeq,
  };
  let editingId: string | null = null;
  let confirmDeleteId: string | null = null;
  let pickingId: string | null = null;
  /** Placed once the first page is shown: at the divider when there is one, else the bottom. */
  let positioned = false;
  /** While scrolled up: the newest seq seen at the bottom, to count what came since. */
  let seenSeq: number | null = null;

  const listEl = h("ol", { class: "messages", testid: "message-list", attrs: { "aria-live": "polite" } });
  const older = h("button", { class: "link load-older", testid: "load-older", attrs: { type: "button" } }, "Load older messages");
  const empty = h("p", { class: "muted center", testid: "empty-conversation" }, "No messages yet. Say hi!");
  const scroller = h("div", { class: "scroller", testid: "message-scroller" }, older, empty, listEl);
  const jumpCount = h("span", { class: "jump-count", testid: "jump-latest-count" });
  const jump = h(
    "button",
    { class: "jump-latest", testid: "jump-latest", attrs: { type: "button", "aria-label": "Jump to the latest messages" } },
    h("span", { attrs: { "aria-hidden": "true" } }, "↓"),
    " Latest",
    jumpCount,
  );
  jump.hidden = true;
  const el = h("div", { class: "message-area" }, scroller, jump);
  const keyed = new KeyedList(listEl);

  older.addEventListener("click", () => void loadOlder());
  jump.addEventListener("click", () => scrollToBottom());
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < NEAR_TOP_PX && state.hasMore && state.loaded) void loadOlder();
    updateJump();
  });

  function nearBottom(): boolean {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  function newestSeq(): number {
    let top = 0;
    for (const m of state.messages.values()) top = Math.max(top, m.seq);
    return top;
  }

  /** Show or hide the jump button; its count is the others' messages newer than `seenSeq`. */
  function updateJump(): void {
    if (nearBottom()) {
      seenSeq = null;
      jump.hidden = true;
      return;
    }
    if (seenSeq === null) seenSeq = newestSeq();
    let count = 0;
    for (const m of state.messages.values()) {
      if (m.seq > seenSeq && m.sender_id !== store.me?.id && m.kind !== "system" && !m.deleted) count++;
    }
    jump.hidden = false;
    jump.dataset.count = String(count);
    jumpCount.textContent = count > 0 ? String(count > 99 ? "99+" : count) : "";
    jumpCount.hidden = count === 0;
  }

  function scrollToBottom(): void {
    scroller.scrollTop = scroller.scrollHeight;
    updateJump();
  }

  async function loadOlder(): Promise<void> {
    const before = scroller.scrollHeight - scroller.scrollTop;
    try {
      await chat.loadOlder(id);
    } catch (err) {
      hooks.showError(describeError(err));
    }
    scroller.scrollTop = scroller.scrollHeight - before;
  }

  function redrawAfter(fn: () => void): () => void {
    return () => {
      fn();
      render();
    };
  }

  function messageRow(msg: Message, continued: boolean): KeyedItem {
    const mine = msg.sender_id === store.me?.id;
    const moderator = hooks.moderator();
    const editing = editingId === msg.id;
    const confirming = confirmDeleteId === msg.id;
    const picking = pickingId === msg.id;
    const canDelete = msg.kind !== "system" && (mine || moderator);
    const canPin = moderator && state.conv.kind === "circle";
    return {
      key: `m:${msg.id}`,
      version: `${msg.rev}|${editing}|${confirming}|${canDelete}|${continued}|${picking}|${canPin}`,
      render: () =>
        messageItem(msg, {
          mine,
          canDelete,
          editing,
          confirmingDelete: confirming,
          continued,
          canPin,
          picking,
          onReply: () => hooks.onReply(msg),
          onReact: (emoji, on) => {
            pickingId = null;
            render();
            setReaction(msg, emoji, !on).catch((err) => hooks.showError(describeError(err)));
          },
          onTogglePicker: (open) => {
            pickingId = open ? msg.id : null;
            render();
          },
          onPin: (on) => void setPinned(msg, on).catch((err) => hooks.showError(describeError(err))),
          onJumpTo: (quote: ReplyQuote) => void jumpTo(quote.id, quote.seq ?? 0),
          onEdit: redrawAfter(() => (editingId = msg.id)),
          onCancelEdit: redrawAfter(() => (editingId = null)),
          onSaveEdit: async (text) => {
            await chat.edit(msg.id, id, text);
            editingId = null;
            render();
          },
          onAskDelete: redrawAfter(() => (confirmDeleteId = msg.id)),
          onDelete: async () => {
            confirmDeleteId = null;
            try {
              await chat.remove(msg.id, id);
            } catch (err) {
              hooks.showError(describeError(err));
            }
            render();
          },
        }),
    };
  }

  function render(): void {
    const atBottom = nearBottom();
    layout.meId = store.me?.id ?? null;
    layout.heldFrom = state.oldestSeq;
    const items: KeyedItem[] = layoutRows(store.visibleMessages(state), layout).map((row) => {
      if (row.type === "date") {
        const label = dayLabel(row.day);
        return {
          key: `d:${row.day}`,
          version: label,
          render: () =>
            h(
              "li",
              { class: "date-separator", testid: "date-separator", dataset: { day: row.day }, attrs: { role: "separator" } },
              h("span", {}, label),
            ),
        };
      }
      if (row.type === "divider") {
        return {
          key: "divider",
          version: "",
          render: () =>
            h(
              "li",
              { class: "new-divider", testid: "new-messages-divider", attrs: { role: "separator", "aria-label": "New messages" } },
              h("span", {}, "New messages"),
            ),
        };
      }
      return messageRow(row.msg, row.continued);
    });
    const me = store.me;
    const pending = [...state.pending.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const p of pending) {
      const extra = p as typeof p & Pick<PendingContext, "replyQuote" | "attachmentNames">;
      items.push({
        key: `p:${p.client_id}`,
        version: `${p.status}|${p.error ?? ""}`,
        render: () =>
          pendingItem(p, {
            senderName: me?.display_name ?? "me",
            replyQuote: extra.replyQuote,
            attachmentNames: extra.attachmentNames,
            onRetry: () => chat.retry(id, p.client_id),
            onDiscard: () => chat.discard(id, p.client_id),
          }),
      });
    }
    keyed.update(items);
    older.hidden = !(state.loaded && state.hasMore);
    empty.hidden = !state.loaded || items.length > 0;
    listEl.dataset.loaded = String(state.loaded);
    if (!positioned && state.loaded) {
      positioned = true;
      const divider = listEl.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
      if (divider) scroller.scrollTop = Math.max(0, divider.offsetTop - scroller.offsetTop - 40);
      else scroller.scrollTop = scroller.scrollHeight;
    } else if (atBottom) {
      scroller.scrollTop = scroller.scrollHeight;
    }
    updateJump();
  }

  async function jumpTo(messageId: string, seq: number): Promise<boolean> {
    if (!state.messages.has(messageId) || seq < state.oldestSeq) {
      try {
        if (!(await chat.loadBackTo(id, seq))) {
          hooks.showError("That message is too far back to show here.");
          return false;
        }
      } catch (err) {
        hooks.showError(describeError(err));
        return false;
      }
      render();
    }
    const row = listEl.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(messageId)}"]`);
    if (!row) {
      hooks.showError("That message is no longer available.");
      return false;
    }
    row.scrollIntoView({ block: "center" });
    for (const other of listEl.querySelectorAll(".message.highlight")) other.classList.remove("highlight");
    row.classList.add("highlight");
    row.dataset.highlighted = "true";
    setTimeout(() => {
      row.classList.remove("highlight");
      delete row.dataset.highlighted;
    }, HIGHLIGHT_MS);
    updateJump();
    return true;
  }

  return { el, render, scrollToBottom, jumpTo };
}
