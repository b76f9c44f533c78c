// A conversation: header (circle actions or DM peer), the message list with scroll-back,
// the typing indicator and the composer.

import { api, describeError } from "../api";
import { chat } from "../chat";
import { h, replaceChildren, userText } from "../dom";
import { circleActivitiesHash, navigate, newActivityHash } from "../router";
import { store, type ConvState } from "../store";
import type { Circle } from "../types";
import { confirmAction } from "./confirm";
import { plural } from "./explore";
import { KeyedList, type KeyedItem } from "./keyedList";
import { membersView } from "./members";
import { messageItem, pendingItem } from "./messageItem";
import { presenceDot } from "./sidebar";
import type { View } from "./view";

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 60;

export function chatView(id: string): View {
  const el = h("section", { class: "pane chat", testid: "chat-view", dataset: { conversationId: id } });
  let inner: View | null = null;

  // Lists received after this view opened: once one has come without this conversation, the
  // viewer is not in it (a private circle, or a wrong link: the two are not told apart).
  const listedAtOpen = chat.listed;
  function mountWhenKnown(): void {
    const state = store.get(id);
    if (!state && !inner && chat.listed > listedAtOpen) showNotMember();
    if (!state || inner) return;
    inner = conversationPane(state);
    replaceChildren(el, inner.el);
    void chat.openConversation(id).catch((err) => console.warn("open failed", err));
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
  let editingId: string | null = null;
  let confirmDeleteId: string | null = null;
  let members: (View & { reload(): Promise<void> }) | null = null;

  // ---- header ---------------------------------------------------------------------------
  const title = h("h1", { class: "chat-title" });
  const subtitle = h("div", { class: "chat-subtitle muted", testid: "chat-subtitle" });
  const actions = h("div", { class: "chat-actions" });
  const notice = h("p", { class: "error", testid: "chat-error", attrs: { role: "alert" } });
  const inviteBox = h("div", { class: "invite-box", testid: "invite-box" });
  inviteBox.hidden = true;

  function renderHeader(): void {
    const peer = state.conv.kind === "dm" ? state.conv.peer : null;
    replaceChildren(
      title,
      peer ? presenceDot(peer.id) : h("span", { class: "hash" }, "#"),
      userText(circle?.name ?? state.conv.title, "chat-title"),
    );
    if (circle) {
      replaceChildren(
        subtitle,
        h("span", { class: `pill ${circle.visibility}` }, circle.visibility),
        h("span", { class: "pill category" }, circle.category),
        h("span", { testid: "chat-member-count", dataset: { count: circle.member_count } }, plural(circle.member_count, "member")),
        circle.description ? userText(circle.description, "chat-description", "description") : null,
      );
    } else if (peer) {
      replaceChildren(subtitle, h("span", {}, `@${peer.handle}`));
    }
    replaceChildren(actions);
    if (state.conv.kind === "circle") {
      actions.append(
        h("button", { testid: "members-toggle", attrs: { type: "button" }, on: { click: toggleMembers } }, "Members"),
      );
      if (circle) {
        actions.append(
          h("a", { class: "button", testid: "circle-activities-button", attrs: { href: circleActivitiesHash(circle.id) } }, "Activities"),
        );
      }
      if (circle?.my_role === "owner" || circle?.my_role === "admin") {
        actions.append(
          h("a", { class: "button", testid: "new-activity-button", attrs: { href: newActivityHash(circle.id) } }, "+ Activity"),
        );
        actions.append(h("button", { testid: "invite-button", attrs: { type: "button" }, on: { click: createInvite } }, "Invite"));
      }
      if (circle && circle.my_role !== "owner") {
        actions.append(h("button", { class: "danger", testid: "leave-button", attrs: { type: "button" }, on: { click: () => void leave() } }, "Leave"));
      }
    }
  }

  async function loadCircle(): Promise<void> {
    const circleId = state.conv.circle_id;
    if (state.conv.kind !== "circle" || !circleId) return;
    try {
      circle = (await api.getCircle(circleId)).circle;
      renderHeader();
      renderMessages();
    } catch (err) {
      notice.textContent = describeError(err);
    }
  }

  async function createInvite(): Promise<void> {
    if (!circle) return;
    try {
      const { url } = await api.createInvite(circle.id);
      const input = h("input", { testid: "invite-url", attrs: { readonly: true, "aria-label": "Invite link" } });
      input.value = url;
      const copy = h("button", { testid: "invite-copy", attrs: { type: "button" } }, "Copy");
      copy.addEventListener("click", async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Select and copy";
        }
      });
      replaceChildren(inviteBox, h("span", { class: "muted" }, "Anyone with this link can join:"), input, copy);
      inviteBox.hidden = false;
    } catch (err) {
      notice.textContent = describeError(err);
    }
  }

  async function leave(): Promise<void> {
    if (!circle) return;
    const ok = await confirmAction({
      title: `Leave ${circle.name}?`,
      message: [
        ["You stop getting its messages and it leaves your list of conversations."],
        circle.visibility === "private"
          ? ["This circle is private: to come back you will need a new invite from an owner or admin."]
          : ["It is a public circle: you can join again from Explore."],
      ],
      confirm: "Leave circle",
      keep: "Stay",
    });
    if (!ok) return;
    try {
      await api.leaveCircle(circle.id);
      await chat.refreshConversations();
      navigate("#/explore");
    } catch (err) {
      notice.textContent = describeError(err);
    }
  }

  function toggleMembers(): void {
    if (members) {
      members.dispose?.();
      members.el.remove();
      members = null;
      return;
    }
    if (!state.conv.circle_id) return;
    members = membersView(state.conv.circle_id);
    body.append(members.el);
  }

  // ---- messages -------------------------------------------------------------------------
  const listEl = h("ol", { class: "messages", testid: "message-list", attrs: { "aria-live": "polite" } });
  const older = h("button", { class: "link load-older", testid: "load-older", attrs: { type: "button" } }, "Load older messages");
  const empty = h("p", { class: "muted center", testid: "empty-conversation" }, "No messages yet. Say hi!");
  const scroller = h("div", { class: "scroller", testid: "message-scroller" }, older, empty, listEl);
  const keyed = new KeyedList(listEl);

  older.addEventListener("click", () => void loadOlder());
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < NEAR_TOP_PX && state.hasMore && state.loaded) void loadOlder();
  });

  async function loadOlder(): Promise<void> {
    const before = scroller.scrollHeight - scroller.scrollTop;
    try {
      await chat.loadOlder(id);
    } catch (err) {
      notice.textContent = describeError(err);
    }
    scroller.scrollTop = scroller.scrollHeight - before;
  }

  function renderMessages(): void {
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
    const me = store.me;
    const moderator = circle?.my_role === "owner" || circle?.my_role === "admin";
    const items: KeyedItem[] = store.visibleMessages(state).map((msg) => {
      const mine = msg.sender_id === me?.id;
      const editing = editingId === msg.id;
      const confirming = confirmDeleteId === msg.id;
      const canDelete = msg.kind !== "system" && (mine || moderator);
      return {
        key: `m:${msg.id}`,
        version: `${msg.rev}|${editing}|${confirming}|${canDelete}`,
        render: () =>
          messageItem(msg, {
            mine,
            canDelete,
            editing,
            confirmingDelete: confirming,
            onEdit: () => {
              editingId = msg.id;
              renderMessages();
            },
            onCancelEdit: () => {
              editingId = null;
              renderMessages();
            },
            onSaveEdit: async (text) => {
              await chat.edit(msg.id, id, text);
              editingId = null;
              renderMessages();
            },
            onAskDelete: () => {
              confirmDeleteId = msg.id;
              renderMessages();
            },
            onDelete: async () => {
              confirmDeleteId = null;
              try {
                await chat.remove(msg.id, id);
              } catch (err) {
                notice.textContent = describeError(err);
              }
              renderMessages();
            },
          }),
      };
    });
    const pending = [...state.pending.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const p of pending) {
      items.push({
        key: `p:${p.client_id}`,
        version: `${p.status}|${p.error ?? ""}`,
        render: () =>
          pendingItem(p, {
            senderName: me?.display_name ?? "me",
            onRetry: () => chat.retry(id, p.client_id),
            onDiscard: () => chat.discard(id, p.client_id),
          }),
      });
    }
    keyed.update(items);
    older.hidden = !(state.loaded && state.hasMore);
    empty.hidden = !state.loaded || items.length > 0;
    listEl.dataset.loaded = String(state.loaded);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  // ---- typing indicator -----------------------------------------------------------------
  const typingEl = h("div", { class: "typing muted", testid: "typing-indicator", attrs: { "aria-live": "polite" } });

  function renderTyping(): void {
    const now = Date.now();
    const names = [...state.typing.entries()].filter(([, until]) => until > now).map(([user]) => store.displayName(user));
    typingEl.textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, 3).join(", ")} are typing…`;
  }

  // ---- composer -------------------------------------------------------------------------
  const input = h("textarea", {
    class: "composer-input",
    testid: "composer-input",
    attrs: { rows: 1, maxlength: 4000, placeholder: "Write a message", "aria-label": "Message" },
  });
  const sendButton = h("button", { class: "primary", testid: "composer-send", attrs: { type: "submit" } }, "Send");
  const composer = h(
    "form",
    {
      class: "composer",
      testid: "composer",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const text = input.value.trim();
          if (!text) return;
          chat.send(id, text);
          input.value = "";
          scroller.scrollTop = scroller.scrollHeight;
          input.focus();
        },
      },
    },
    input,
    sendButton,
  );
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    if (input.value.trim()) chat.typing(id);
  });

  const body = h("div", { class: "chat-body" }, scroller);
  const el = h(
    "div",
    { class: "chat-frame" },
    h("header", { class: "chat-header" }, h("div", { class: "chat-heading" }, title, subtitle), actions),
    notice,
    inviteBox,
    body,
    typingEl,
    composer,
  );

  unsubs.push(
    store.subscribe(`messages:${id}`, renderMessages),
    store.subscribe(`typing:${id}`, renderTyping),
    store.subscribe("presence", renderHeader),
    store.subscribe("conversations", renderHeader),
    store.subscribe(`members:${id}`, () => {
      const count = chat.memberCounts.get(id);
      if (!circle || count === undefined) return;
      circle = { ...circle, member_count: count };
      renderHeader();
    }),
  );
  renderHeader();
  renderMessages();
  void loadCircle();
  queueMicrotask(() => input.focus());
  return {
    el,
    dispose: () => {
      unsubs.forEach((u) => u());
      members?.dispose?.();
    },
  };
}
