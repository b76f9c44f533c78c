// One message (or one not-yet-acknowledged send) in the message list. Text is rendered as text
// nodes only; a deleted message shows as a tombstone; cards go through the card registry.
// A message that continues its sender's group (chatLayout.ts) keeps its name and avatar in the
// DOM, hidden by style, so readers and tests still find the sender of every message.

import { renderCard } from "../cards";
import { asChat, type ChatMessage, type ReplyQuote } from "../chatTypes";
import { formatTime, h, initials, linkified, userText } from "../dom";
import type { PendingMessage } from "../store";
import { changeNoticeText } from "../time";
import type { Message } from "../types";
import { icon } from "./chatIcons";
import { firstLine, messageText } from "./chatText";
import { attachmentList } from "./lightbox";
import { reactionChips, reactionPicker } from "./reactions";

export interface MessageContext {
  mine: boolean;
  canDelete: boolean;
  editing: boolean;
  confirmingDelete: boolean;
  /** Same sender as the message before, within a few minutes: no avatar or name shown. */
  continued: boolean;
  /** Owners and admins of a circle pin and unpin. */
  canPin: boolean;
  picking: boolean;
  onReply: () => void;
  onReact: (emoji: string, mine: boolean) => void;
  onTogglePicker: (open: boolean) => void;
  onPin: (pinned: boolean) => void;
  onJumpTo: (quote: ReplyQuote) => void;
  onEdit: () => void;
  onSaveEdit: (text: string) => Promise<void>;
  onCancelEdit: () => void;
  onAskDelete: () => void;
  onDelete: () => Promise<void>;
}

export function messageItem(message: Message, ctx: MessageContext): HTMLElement {
  const msg: ChatMessage = asChat(message);
  const state = msg.deleted ? "deleted" : "sent";
  const li = h("li", {
    class: `message ${msg.kind}${ctx.mine ? " mine" : ""}${msg.deleted ? " deleted" : ""}${ctx.continued ? " continued" : ""}${msg.pinned ? " pinned" : ""}`,
    testid: "message",
    dataset: {
      messageId: msg.id,
      seq: msg.seq,
      rev: msg.rev,
      state,
      senderId: msg.sender_id,
      kind: msg.kind,
      grouped: String(ctx.continued),
      pinned: String(Boolean(msg.pinned)),
    },
  });
  if (msg.client_id) li.dataset.clientId = msg.client_id;
  // A continued message shows no name or time: both stay available on hover.
  if (ctx.continued) li.title = `${msg.sender_name}, ${formatTime(msg.created_at)}`;
  // Touch screens have no hover: a tap on the message shows or hides its actions.
  li.addEventListener("click", (ev) => {
    if ((ev.target as Element).closest("button, a, textarea, input, dialog")) return;
    li.classList.toggle("actions-open");
  });

  if (msg.kind === "system") {
    // A notice from the server (e.g. an activity's time changed): centred, no sender.
    li.append(
      h(
        "div",
        { class: "system-notice", testid: "system-notice", attrs: { role: "note" } },
        h("div", { class: "system-text", testid: "message-text" }, userText(changeNoticeText(msg.card, msg.text))),
        h("time", { class: "muted", attrs: { datetime: msg.created_at } }, formatTime(msg.created_at)),
      ),
    );
    return li;
  }

  const body = h("div", { class: "message-body" });
  body.append(
    h(
      "div",
      { class: "message-meta" },
      userText(msg.sender_name, "message-sender", "sender"),
      h("time", { class: "muted", testid: "message-time", attrs: { datetime: msg.created_at } }, formatTime(msg.created_at)),
      msg.edited_at && !msg.deleted ? h("span", { class: "muted", testid: "message-edited" }, "(edited)") : null,
      msg.pinned && !msg.deleted ? h("span", { class: "pin-mark", testid: "message-pinned", attrs: { title: "Pinned" } }, icon("pin")) : null,
    ),
  );
  if (msg.reply && !msg.deleted) body.append(replyQuote(msg.reply, () => ctx.onJumpTo(msg.reply as ReplyQuote)));

  if (msg.deleted) {
    // a moderator's removal says so (`removed_by`, docs/protocol.md "Roles and moderation")
    const byModerator = "removed_by" in msg && msg.removed_by === "moderator";
    body.append(
      h(
        "div",
        { class: "tombstone", testid: "message-deleted", dataset: { removedBy: byModerator ? "moderator" : "" } },
        byModerator ? "Removed by a moderator" : "message deleted",
      ),
    );
  } else if (msg.kind === "card") {
    body.append(renderCard(msg));
  } else if (ctx.editing) {
    body.append(editForm(msg, ctx));
  } else {
    if (msg.text) body.append(h("div", { class: "message-text", testid: "message-text", attrs: { dir: "auto" } }, ...messageText(msg.text)));
    else if (!msg.attachments?.length) body.append(h("div", { class: "message-text", testid: "message-text" }));
    const files = attachmentList(msg.attachments ?? []);
    if (files) body.append(files);
  }
  if (!msg.deleted) {
    const chips = reactionChips(msg.reactions ?? [], ctx.onReact);
    if (chips) body.append(chips);
  }

  if (!msg.deleted && !ctx.editing) body.append(actions(msg, ctx));
  if (ctx.picking && !msg.deleted) {
    const picker = reactionPicker((emoji) => ctx.onReact(emoji, hasMine(msg, emoji)), () => ctx.onTogglePicker(false));
    body.append(picker);
    queueMicrotask(() => picker.querySelector("button")?.focus());
  }
  li.append(h("div", { class: "avatar", attrs: { "aria-hidden": "true" } }, initials(msg.sender_name)), body);
  return li;
}

function hasMine(msg: ChatMessage, emoji: string): boolean {
  return (msg.reactions ?? []).some((r) => r.emoji === emoji && r.me);
}

/** The quote of the original above a reply; a click shows the original in context. */
function replyQuote(quote: ReplyQuote, onJump: () => void): HTMLElement {
  return h(
    "button",
    {
      class: `reply-quote${quote.deleted ? " deleted" : ""}`,
      testid: "reply-quote",
      dataset: { replyTo: quote.id },
      attrs: { type: "button", title: "Show the original message" },
      on: { click: onJump },
    },
    h("span", { class: "reply-arrow", attrs: { "aria-hidden": "true" } }, "↩"),
    userText(quote.sender_name, "reply-sender", "reply-sender"),
    quote.deleted
      ? h("span", { class: "tombstone", testid: "reply-text" }, quote.removed_by === "moderator" ? "Removed by a moderator" : "message deleted")
      : userText(firstLine(quote.text), "reply-text", "reply-text"),
  );
}

function actions(msg: ChatMessage, ctx: MessageContext): HTMLElement {
  const bar = h("div", { class: "message-actions" });
  if (msg.kind !== "system") {
    bar.append(
      h("button", { class: "link", testid: "message-reply", attrs: { type: "button" }, on: { click: ctx.onReply } }, "Reply"),
      h(
        "button",
        {
          class: "link",
          testid: "message-react",
          attrs: { type: "button", "aria-expanded": String(ctx.picking), "aria-label": "Add a reaction" },
          on: { click: () => ctx.onTogglePicker(!ctx.picking) },
        },
        icon("smile"),
        "+",
      ),
    );
  }
  if (ctx.canPin && msg.kind !== "system") {
    bar.append(
      h(
        "button",
        { class: "link", testid: msg.pinned ? "message-unpin" : "message-pin", attrs: { type: "button" }, on: { click: () => ctx.onPin(!msg.pinned) } },
        msg.pinned ? "Unpin" : "Pin",
      ),
    );
  }
  if (ctx.mine && msg.kind === "text") {
    bar.append(h("button", { class: "link", testid: "message-edit", attrs: { type: "button" }, on: { click: ctx.onEdit } }, "Edit"));
  }
  if (ctx.canDelete) {
    bar.append(
      ctx.confirmingDelete
        ? h(
            "button",
            {
              class: "link danger",
              testid: "message-delete-confirm",
              attrs: { type: "button" },
              on: { click: () => void ctx.onDelete() },
            },
            "Really delete?",
          )
        : h("button", { class: "link", testid: "message-delete", attrs: { type: "button" }, on: { click: ctx.onAskDelete } }, "Delete"),
    );
  }
  return bar;
}

function editForm(msg: Message, ctx: MessageContext): HTMLElement {
  const input = h("textarea", {
    class: "edit-input",
    testid: "message-edit-input",
    attrs: { rows: 2, maxlength: 4000, "aria-label": "Edit message" },
  });
  input.value = msg.text;
  const error = h("span", { class: "error", testid: "message-edit-error" });
  const form = h(
    "form",
    {
      class: "edit-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const text = input.value.trim();
          if (!text) return;
          try {
            await ctx.onSaveEdit(text);
          } catch (err) {
            error.textContent = err instanceof Error ? err.message : String(err);
          }
        },
      },
    },
    input,
    h(
      "div",
      { class: "edit-buttons" },
      h("button", { class: "primary", testid: "message-edit-save", attrs: { type: "submit" } }, "Save"),
      h("button", { testid: "message-edit-cancel", attrs: { type: "button" }, on: { click: ctx.onCancelEdit } }, "Cancel"),
      error,
    ),
  );
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") ctx.onCancelEdit();
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  queueMicrotask(() => {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  });
  return form;
}

export interface PendingContext {
  senderName: string;
  replyQuote?: ChatMessage;
  attachmentNames?: string[];
  onRetry: () => void;
  onDiscard: () => void;
}

export function pendingItem(p: PendingMessage, ctx: PendingContext): HTMLElement {
  const failed = p.status === "failed";
  const label = failed ? `Not sent: ${p.error ?? "error"}` : p.status === "queued" ? "Waiting for connection…" : "Sending…";
  return h(
    "li",
    {
      class: `message text mine pending ${p.status}`,
      testid: "message",
      dataset: { clientId: p.client_id, state: p.status === "failed" ? "failed" : "pending" },
    },
    h("div", { class: "avatar", attrs: { "aria-hidden": "true" } }, initials(ctx.senderName)),
    h(
      "div",
      { class: "message-body" },
      h("div", { class: "message-meta" }, userText(ctx.senderName, "message-sender", "sender")),
      ctx.replyQuote ? replyQuote(asReplyQuote(ctx.replyQuote), () => {}) : null,
      h("div", { class: "message-text", testid: "message-text", attrs: { dir: "auto" } }, ...linkified(p.text)),
      ctx.attachmentNames?.length
        ? h("div", { class: "muted attachments pending" }, ctx.attachmentNames.map((n) => `📎 ${n}`).join("  "))
        : null,
      h(
        "div",
        { class: "pending-status" },
        h("span", { class: failed ? "error" : "muted", testid: "message-status" }, label),
        failed
          ? h("button", { class: "link", testid: "message-retry", attrs: { type: "button" }, on: { click: ctx.onRetry } }, "Retry")
          : null,
        failed
          ? h("button", { class: "link", testid: "message-discard", attrs: { type: "button" }, on: { click: ctx.onDiscard } }, "Discard")
          : null,
      ),
    ),
  );
}

export function asReplyQuote(msg: Message): ReplyQuote {
  return { id: msg.id, seq: msg.seq, sender_id: msg.sender_id, sender_name: msg.sender_name, text: msg.text, deleted: msg.deleted, removed_by: null };
}
