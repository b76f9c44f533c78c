// The search panel: words, in this conversation or in every conversation the viewer is in,
// newest first, a page at a time. A result opens the message in context (history is loaded
// back to it); one in another conversation opens that conversation first.

import { describeError } from "../api";
import { requestJump } from "../chatJump";
import { searchMessages, type SearchHit, type SearchQuery } from "../chatSocial";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { conversationHash, navigate } from "../router";
import { store, type ConvState } from "../store";
import { firstLine } from "./chatText";
import type { View } from "./view";

export function searchPanel(state: ConvState, jump: (messageId: string, seq: number) => void): View {
  const input = h("input", {
    testid: "search-input",
    attrs: { type: "search", placeholder: "Search messages", "aria-label": "Search messages", maxlength: 200 },
  });
  const scope = h(
    "select",
    { testid: "search-scope", attrs: { "aria-label": "Where to search" } },
    h("option", { attrs: { value: "here" } }, "This conversation"),
    h("option", { attrs: { value: "all" } }, "All conversations"),
  );
  const status = h("p", { class: "muted", testid: "search-status", attrs: { role: "status" } });
  const results = h("ol", { class: "search-results", testid: "search-results" });
  const more = h("button", { class: "link", testid: "search-more", attrs: { type: "button" } }, "Older results");
  more.hidden = true;
  let query: SearchQuery | null = null;
  let next: string | null = null;
  let generation = 0;

  const form = h(
    "form",
    { class: "search-form", attrs: { role: "search" }, on: { submit: (ev) => void run(ev) } },
    input,
    scope,
    h("button", { class: "primary", testid: "search-submit", attrs: { type: "submit" } }, "Search"),
  );

  async function run(ev: Event): Promise<void> {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    query = { q, conversation_id: scope.value === "here" ? state.conv.id : undefined };
    replaceChildren(results);
    await page(null);
  }

  async function page(cursor: string | null): Promise<void> {
    if (!query) return;
    const mine = ++generation;
    status.textContent = "Searching…";
    more.hidden = true;
    try {
      const found = await searchMessages({ ...query, cursor });
      if (mine !== generation) return;
      next = found.next_cursor;
      results.append(...found.results.map(result));
      status.textContent = results.childElementCount === 0 ? "No messages found." : "";
      more.hidden = !next;
    } catch (err) {
      if (mine === generation) status.textContent = describeError(err);
    }
  }

  function result(msg: SearchHit): HTMLElement {
    const elsewhere = msg.conversation_id !== state.conv.id;
    const where = elsewhere ? store.get(msg.conversation_id)?.conv.title : null;
    return h(
      "li",
      {},
      h(
        "button",
        {
          class: "search-result",
          testid: "search-result",
          dataset: { messageId: msg.message_id, conversationId: msg.conversation_id, seq: msg.seq },
          attrs: { type: "button" },
          on: { click: () => open(msg) },
        },
        h(
          "span",
          { class: "search-meta" },
          userText(msg.sender_name, "search-result-sender", "sender"),
          where ? h("span", { class: "muted" }, " in ", userText(where)) : null,
          h("time", { class: "muted", attrs: { datetime: msg.created_at } }, formatTime(msg.created_at)),
        ),
        userText(firstLine(msg.text, 160), "search-result-text", "search-text"),
      ),
    );
  }

  function open(msg: SearchHit): void {
    if (msg.conversation_id === state.conv.id) {
      jump(msg.message_id, msg.seq);
      return;
    }
    requestJump(msg.conversation_id, msg.message_id, msg.seq);
    navigate(conversationHash(msg.conversation_id));
  }

  more.addEventListener("click", () => void page(next));
  queueMicrotask(() => input.focus());
  const el = h("section", { class: "search-panel", testid: "search-panel" }, h("h2", {}, "Search"), form, status, results, more);
  return { el, dispose: () => (generation += 1) };
}
