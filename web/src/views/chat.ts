// A conversation: the header (views/chatHeader.ts), the message list (views/chatMessages.ts),
// the typing indicator, the composer (views/composer.ts) and one side panel at a time
// (members, search, pins), each with a close button; on a phone a panel covers the chat.

import { chat } from "../chat";
import { takeJump } from "../chatJump";
import { h, replaceChildren } from "../dom";
import { store, type ConvState } from "../store";
import type { Circle } from "../types";
import { chatHeader, moderates, type PanelKind } from "./chatHeader";
import { messageList } from "./chatMessages";
import { collapseBlocked } from "./blocksCollapse";
import { dmBlockNotice } from "./blocksDmNotice";
import { composer } from "./composer";
import { moderatedMembersView } from "./membersModeration";
import { composerGate, type ComposerGate } from "./moderationComposer";
import { pinsPanel } from "./pins";
import { reportButtons } from "./reportsMenu";
import { searchPanel } from "./search";
import type { View } from "./view";

export function chatView(id: string): View {
  const el = h("section", { class: "pane chat", testid: "chat-view", dataset: { conversationId: id } });
  let inner: View | null = null;

  // Lists received after this view opened: once one has come without this conversation, the
  // viewer is not in it (a private circle, or a wrong link: the two are not told apart).
  const listedAtOpen = chat.listed;
  function mountWhenKnown(): void {
    const state = store.get(id);
    if (state) chat.removed.delete(id); // back in (a kicked member rejoined)
    const removed = chat.removed.get(id);
    if (!state && removed) {
      showRemoved(removed);
      return;
    }
    if (!state && !inner && chat.listed > listedAtOpen) showNotMember();
    if (!state || inner) return;
    inner = conversationPane(state);
    replaceChildren(el, inner.el);
    void chat.openConversation(id).catch((err) => console.warn("open failed", err));
  }

  // Kicked or banned while reading (`circle:removed`): the chat closes and says why.
  function showRemoved(reason: "kicked" | "banned"): void {
    if (el.querySelector('[data-testid="chat-removed"]')) return;
    inner?.dispose?.();
    inner = null;
    replaceChildren(
      el,
      h(
        "div",
        { class: "dead-end", testid: "chat-removed", dataset: { reason }, attrs: { role: "alert" } },
        h("h1", {}, reason === "banned" ? "You were banned from this circle" : "You were removed from this circle"),
        h(
          "p",
          { class: "muted" },
          reason === "banned"
            ? "A moderator banned you: you can no longer read or join it."
            : "A moderator removed you. You may join it again.",
        ),
        h("a", { class: "button primary", testid: "chat-removed-explore", attrs: { href: "#/explore" } }, "Explore circles"),
      ),
    );
  }

  function showNotMember(): void {
    if (el.querySelector('[data-testid="chat-private"]')) return;
    replaceChildren(
      el,
      h(
        "div",
        { class: "dead-end", testid: "chat-private", attrs: { role: "status" } },
        h("h1", {}, "This circle is private: ask for an invite"),
        h(
          "p",
          { class: "muted" },
          "Only its members can read it. Ask a member for an invite link and open that link to join. ",
          "(If you were sent this link, it may also be mistyped.)",
        ),
        h("a", { class: "button primary", testid: "chat-private-explore", attrs: { href: "#/explore" } }, "Explore public circles"),
      ),
    );
  }

  el.append(h("p", { class: "muted center", testid: "chat-loading" }, "Loading conversation…"));
  const unsub = store.subscribe("conversations", mountWhenKnown);
  mountWhenKnown();
  // Not known yet (e.g. just joined, or opened from a link): ask once; a later
  // conversation:new or reconnect also mounts it.
  if (!inner && store.conn === "online") {
    chat.refreshConversations().catch((err) => console.warn("refresh failed", err));
  }
  return {
    el,
    dispose: () => {
      unsub();
      inner?.dispose?.();
      if (store.activeId === id) store.activeId = null;
    },
  };
}

function conversationPane(state: ConvState): View {
  const id = state.conv.id;
  const unsubs: Array<() => void> = [];
  let circle: Circle | null = null;
  let panel: { kind: PanelKind; view: View } | null = null;

  const header = chatHeader(state, {
    togglePanel,
    onCircle: (loaded) => {
      circle = loaded;
      list.render();
    },
  });
  const list = messageList(state, {
    onReply: (msg) => compose.replyTo(msg),
    moderator: () => moderates(circle),
    showError: (text) => (header.notice.textContent = text),
  });
  let gate: ComposerGate | null = null;
  const compose = composer(state, {
    onSent: () => {
      list.scrollToBottom();
      gate?.sent();
    },
    canMentionEveryone: () => moderates(circle),
  });
  if (state.conv.kind === "circle" && state.conv.circle_id) gate = composerGate(state.conv.circle_id, compose.el);
  // Circle chats: "Report" on others' messages, and blocked users' messages collapsed.
  if (state.conv.kind === "circle" && state.conv.circle_id) {
    unsubs.push(reportButtons(list.el, state.conv.circle_id), collapseBlocked(list.el));
  }
  const dmBlock = dmBlockNotice(state.conv);
  if (dmBlock?.dispose) unsubs.push(dmBlock.dispose);

  // ---- side panels ----------------------------------------------------------------------
  const panelHost = h("div", { class: "side-panel-host" });

  function togglePanel(kind: PanelKind): void {
    const same = panel?.kind === kind;
    closePanel();
    if (same) return;
    const view = makePanel(kind);
    if (!view) return;
    panel = { kind, view };
    const close = h(
      "button",
      { class: "icon panel-close", testid: "panel-close", attrs: { type: "button", "aria-label": "Close panel" }, on: { click: closePanel } },
      "✕",
    );
    panelHost.append(h("div", { class: `side-panel ${kind}`, testid: `${kind}-side-panel` }, close, view.el));
    el.classList.add("panel-open");
  }

  function makePanel(kind: PanelKind): View | null {
    if (kind === "members") return state.conv.circle_id ? moderatedMembersView(state.conv.circle_id) : null;
    const jump = (messageId: string, seq: number) => {
      // On a phone the panel covers the messages: close it to show the message.
      if (window.matchMedia("(max-width: 760px)").matches) closePanel();
      void list.jumpTo(messageId, seq);
    };
    if (kind === "search") return searchPanel(state, jump);
    return pinsPanel(state, { jump, canUnpin: () => moderates(circle) });
  }

  function closePanel(): void {
    panel?.view.dispose?.();
    panel = null;
    replaceChildren(panelHost);
    el.classList.remove("panel-open");
  }

  // ---- typing indicator -----------------------------------------------------------------
  const typingEl = h("div", { class: "typing muted", testid: "typing-indicator", attrs: { "aria-live": "polite" } });

  function renderTyping(): void {
    const now = Date.now();
    const names = [...state.typing.entries()].filter(([, until]) => until > now).map(([user]) => store.displayName(user));
    typingEl.textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, 3).join(", ")} are typing…`;
  }

  const body = h("div", { class: "chat-body" }, list.el, panelHost);
  const el = h(
    "div",
    { class: "chat-frame", testid: "chat-frame" },
    header.el,
    header.notice,
    header.inviteBox,
    body,
    typingEl,
    gate?.el ?? null,
    dmBlock?.el ?? null,
    compose.el,
  );

  // Files dropped anywhere on the conversation are uploaded for the next message.
  el.addEventListener("dragover", (ev) => {
    if (!ev.dataTransfer?.types.includes("Files")) return;
    ev.preventDefault();
    el.classList.add("dropping");
  });
  el.addEventListener("dragleave", (ev) => {
    if (ev.target === el || !el.contains(ev.relatedTarget as Node | null)) el.classList.remove("dropping");
  });
  el.addEventListener("drop", (ev) => {
    el.classList.remove("dropping");
    const files = [...(ev.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    compose.addFiles(files);
  });

  unsubs.push(
    store.subscribe(`messages:${id}`, list.render),
    store.subscribe(`typing:${id}`, renderTyping),
    store.subscribe("presence", header.render),
    store.subscribe("conversations", header.render),
    store.subscribe(`members:${id}`, () => {
      const count = chat.memberCounts.get(id);
      if (count !== undefined) header.setMemberCount(count);
    }),
  );
  header.render();
  list.render();
  void header.load();
  // A search result from another conversation asked to show its message here.
  const wanted = takeJump(id);
  if (wanted) {
    void chat.openConversation(id).then(() => list.jumpTo(wanted.messageId, wanted.seq));
  }
  queueMicrotask(() => compose.focus());
  return {
    el,
    dispose: () => {
      unsubs.forEach((u) => u());
      closePanel();
      gate?.dispose?.();
      compose.dispose();
    },
  };
}
