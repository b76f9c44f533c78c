// The left column: navigation plus every conversation, most recently active first, with a
// preview of its latest message, its unread badge and an "@" badge for unread mentions; DMs
// show the peer's presence dot.

import { lastActivity, mentionCount, previewLine } from "../chatPreview";
import { h, replaceChildren, userText } from "../dom";
import { conversationHash } from "../router";
import { store, type ConvState } from "../store";
import type { View } from "./view";

export function sidebarView(): View {
  const circles = h("ul", { class: "conv-list", testid: "circle-conversations" });
  const dms = h("ul", { class: "conv-list", testid: "dm-conversations" });
  const el = h(
    "nav",
    { class: "sidebar", testid: "sidebar", attrs: { "aria-label": "Conversations" } },
    h(
      "div",
      { class: "nav-links" },
      h("a", { class: "nav-link", testid: "nav-explore", attrs: { href: "#/explore" } }, "Explore"),
      h("a", { class: "nav-link", testid: "nav-my-activities", attrs: { href: "#/me/activities" } }, "My activities"),
      h("a", { class: "nav-link", testid: "nav-new-circle", attrs: { href: "#/new" } }, "+ New circle"),
    ),
    h(
      "div",
      { class: "conv-lists", testid: "conversation-list" },
      h("h2", { class: "nav-heading" }, "Circles"),
      circles,
      h("h2", { class: "nav-heading" }, "Direct messages"),
      dms,
    ),
  );

  function render(): void {
    const all = [...store.conversations.values()];
    // Newest activity first (ISO times compare as strings); never active ones by title.
    const keys = new Map(all.map((s) => [s.conv.id, lastActivity(s)]));
    const byActivity = (a: ConvState, b: ConvState) =>
      (keys.get(b.conv.id) ?? "").localeCompare(keys.get(a.conv.id) ?? "") || a.conv.title.localeCompare(b.conv.title);
    replaceChildren(circles, ...all.filter((s) => s.conv.kind === "circle").sort(byActivity).map(item));
    replaceChildren(dms, ...all.filter((s) => s.conv.kind === "dm").sort(byActivity).map(item));
    if (!circles.childElementCount) circles.append(h("li", { class: "empty" }, "No circles yet"));
    if (!dms.childElementCount) dms.append(h("li", { class: "empty" }, "No direct messages"));
    const unread = store.totalUnread();
    document.title = unread ? `(${unread}) Circles` : "Circles";
  }

  function item(state: ConvState): HTMLElement {
    const { conv } = state;
    const active = store.activeId === conv.id;
    const peer = conv.kind === "dm" ? conv.peer : null;
    const badge = conv.unread > 0
      ? h("span", { class: "badge", testid: "unread-badge" }, conv.unread > 99 ? "99+" : conv.unread)
      : null;
    const mentions = mentionCount(state);
    const mentionBadge = mentions > 0
      ? h("span", { class: "badge mention", testid: "mention-badge", attrs: { title: `${mentions} unread mention${mentions === 1 ? "" : "s"}` } }, "@")
      : null;
    const preview = previewLine(state, store.me?.id);
    return h(
      "li",
      {},
      h(
        "a",
        {
          class: `conv-item${active ? " active" : ""}${conv.unread ? " unread" : ""}`,
          testid: "conversation-item",
          dataset: { conversationId: conv.id, kind: conv.kind, unread: conv.unread, mentions },
          attrs: { href: conversationHash(conv.id), "aria-current": active ? "page" : null },
        },
        peer ? presenceDot(peer.id) : h("span", { class: "hash" }, "#"),
        h(
          "span",
          { class: "conv-text" },
          userText(conv.title, "conversation-title", "conv-title"),
          preview ? userText(preview, "conversation-preview", "conv-preview") : null,
        ),
        mentionBadge,
        badge,
      ),
    );
  }

  const unsubs = [
    store.subscribe("conversations", render),
    store.subscribe("presence", render),
  ];
  render();
  return { el, dispose: () => unsubs.forEach((u) => u()) };
}

export function presenceDot(userId: string): HTMLElement {
  const online = store.presence.get(userId) === true;
  return h("span", {
    class: `presence ${online ? "online" : "offline"}`,
    testid: "presence-dot",
    dataset: { online: String(online), userId },
    attrs: { title: online ? "online" : "offline", "aria-label": online ? "online" : "offline" },
  });
}
