// One message (or one not-yet-acknowledged send) in the message list. Text is rendered as text
// nodes only; a deleted message shows as a tombstone; cards go through the card registry.

import { renderCard } from "../cards";
import { formatTime, h, initials, linkified, userText } from "../dom";
import type { PendingMessage } from "../store";
import { changeNoticeText } from "../time";
import type { Message } from "../types";

export interface MessageContext {
  mine: boolean;
  canDelete: boolean;
  editing: boolean;
  confirmingDelete: boolean;
  onEdit(): void;
  onSaveEdit(text: string): Promise<void>;
  onCancelEdit(): void;
  onAskDelete(): void;
  onDelete(): Promise<void>;
}

export function messageItem(msg: Message, ctx: MessageContext): HTMLElement {
  const state = msg.deleted ? "deleted" : "sent";
  const li = h("li", {
    class: `message ${msg.kind}${ctx.mine ? " mine" : ""}${msg.deleted ? " deleted" : ""}`,
    testid: "message",
    dataset: { messageId: msg.id, seq: msg.seq, rev: msg.rev, state, senderId: msg.sender_id, kind: msg.kind },
  });
  if (msg.client_id) li.dataset.clientId = msg.client_id;

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
    ),
  );

  if (msg.deleted) {
    body.append(h("div", { class: "tombstone", testid: "message-deleted" }, "message deleted"));
  } else if (msg.kind === "card") {
    body.append(renderCard(msg));
  } else if (ctx.editing) {
    body.append(editForm(msg, ctx));
  } else {
    body.append(h("div", { class: "message-text", testid: "message-text", attrs: { dir: "auto" } }, ...linkified(msg.text)));
  }

  if (!msg.deleted && !ctx.editing && (ctx.mine || ctx.canDelete)) body.append(actions(msg, ctx));
  li.append(h("div", { class: "avatar", attrs: { "aria-hidden": "true" } }, initials(msg.sender_name)), body);
  return li;
}

function actions(msg: Message, ctx: MessageContext): HTMLElement {
  const bar = h("div", { class: "message-actions" });
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
  onRetry(): void;
  onDiscard(): void;
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
      h("div", { class: "message-text", testid: "message-text", attrs: { dir: "auto" } }, ...linkified(p.text)),
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
