// The chat header: one line on every screen. The title (circle name or DM peer) shrinks with an
// ellipsis; the subtitle is one line too. Search and pins stay as icon buttons; the circle
// actions (members, activities, invite, leave) sit inline on wide screens and behind a "⋯" menu
// on narrow ones (style.css), so a 390 px phone keeps a header of one row.

import { api, describeError } from "../api";
import { chat } from "../chat";
import { h, replaceChildren, userText } from "../dom";
import { circleActivitiesHash, circlePageHash, navigate, newActivityHash } from "../router";
import type { ConvState } from "../store";
import type { Circle } from "../types";
import { confirmAction } from "./confirm";
import { icon, type IconName } from "./chatIcons";
import { plural } from "./explore";
import { presenceDot } from "./sidebar";

export type PanelKind = "members" | "search" | "pins";

export interface HeaderHooks {
  togglePanel: (kind: PanelKind) => void;
  /** The circle was (re)loaded: roles decide who may delete, pin and mention everyone. */
  onCircle: (circle: Circle) => void;
}

export interface ChatHeader {
  el: HTMLElement;
  notice: HTMLElement;
  inviteBox: HTMLElement;
  circle: () => Circle | null;
  render: () => void;
  load: () => Promise<void>;
  setMemberCount: (count: number) => void;
}

export function chatHeader(state: ConvState, hooks: HeaderHooks): ChatHeader {
  let circle: Circle | null = null;
  const title = h("h1", { class: "chat-title", attrs: { title: "" } });
  const subtitle = h("div", { class: "chat-subtitle muted", testid: "chat-subtitle" });
  const tools = h("div", { class: "chat-tools" });
  const actions = h("div", { class: "chat-actions", testid: "chat-actions" });
  const menuToggle = h(
    "button",
    {
      class: "chat-menu-toggle icon",
      testid: "chat-menu-toggle",
      attrs: { type: "button", "aria-label": "More actions", "aria-expanded": "false" },
      on: {
        click: () => {
          const open = !el.classList.contains("menu-open");
          el.classList.toggle("menu-open", open);
          menuToggle.setAttribute("aria-expanded", String(open));
        },
      },
    },
    "⋯",
  );
  const notice = h("p", { class: "error", testid: "chat-error", attrs: { role: "alert" } });
  const inviteBox = h("div", { class: "invite-box", testid: "invite-box" });
  inviteBox.hidden = true;
  const el = h(
    "header",
    { class: "chat-header", testid: "chat-header" },
    h("div", { class: "chat-heading" }, title, subtitle),
    tools,
    menuToggle,
    actions,
  );
  // A chosen action closes the menu (on phones it covers the messages).
  actions.addEventListener("click", () => {
    el.classList.remove("menu-open");
    menuToggle.setAttribute("aria-expanded", "false");
  });

  function iconButton(testid: string, label: string, name: IconName, kind: PanelKind): HTMLElement {
    return h(
      "button",
      { class: "icon", testid, attrs: { type: "button", "aria-label": label, title: label }, on: { click: () => hooks.togglePanel(kind) } },
      icon(name),
    );
  }

  function render(): void {
    const peer = state.conv.kind === "dm" ? state.conv.peer : null;
    const name = circle?.name ?? state.conv.title;
    title.setAttribute("title", name);
    replaceChildren(
      title,
      peer ? presenceDot(peer.id) : h("span", { class: "hash" }, "#"),
      userText(name, "chat-title", "chat-title-text"),
    );
    if (circle) {
      replaceChildren(
        subtitle,
        h("span", { testid: "chat-member-count", dataset: { count: circle.member_count } }, plural(circle.member_count, "member")),
        h("span", { class: `pill ${circle.visibility}` }, circle.visibility),
        h("span", { class: "pill category" }, circle.category),
        circle.description ? userText(circle.description, "chat-description", "description") : null,
      );
    } else if (peer) {
      replaceChildren(subtitle, h("span", {}, `@${peer.handle}`));
    }
    replaceChildren(tools, iconButton("search-toggle", "Search messages", "search", "search"));
    if (state.conv.kind === "circle") tools.append(iconButton("pins-toggle", "Pinned messages", "pin", "pins"));
    replaceChildren(actions);
    menuToggle.hidden = state.conv.kind !== "circle";
    if (state.conv.kind !== "circle") return;
    actions.append(
      h("button", { testid: "members-toggle", attrs: { type: "button" }, on: { click: () => hooks.togglePanel("members") } }, "Members"),
    );
    if (circle) {
      actions.append(
        h("a", { class: "button", testid: "circle-activities-button", attrs: { href: circleActivitiesHash(circle.id) } }, "Activities"),
        h("a", { class: "button", testid: "circle-about-button", attrs: { href: circlePageHash(circle.id) } }, "About"),
      );
    }
    if (circle?.my_role === "owner" || circle?.my_role === "admin") {
      actions.append(
        h("a", { class: "button", testid: "new-activity-button", attrs: { href: newActivityHash(circle.id) } }, "+ Activity"),
        h("button", { testid: "invite-button", attrs: { type: "button" }, on: { click: () => void createInvite() } }, "Invite"),
      );
    }
    if (circle && circle.my_role !== "owner") {
      actions.append(
        h("button", { class: "danger", testid: "leave-button", attrs: { type: "button" }, on: { click: () => void leave() } }, "Leave"),
      );
    }
  }

  async function load(): Promise<void> {
    const circleId = state.conv.circle_id;
    if (state.conv.kind !== "circle" || !circleId) return;
    try {
      circle = (await api.getCircle(circleId)).circle;
      render();
      hooks.onCircle(circle);
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
      const copy: HTMLButtonElement = h(
        "button",
        {
          testid: "invite-copy",
          attrs: { type: "button" },
          on: {
            click: async () => {
              input.select();
              try {
                await navigator.clipboard.writeText(url);
                copy.textContent = "Copied";
              } catch {
                copy.textContent = "Select and copy";
              }
            },
          },
        },
        "Copy",
      );
      const close = h("button", { class: "icon", testid: "invite-close", attrs: { type: "button", "aria-label": "Close" } }, "✕");
      close.addEventListener("click", () => (inviteBox.hidden = true));
      replaceChildren(inviteBox, h("span", { class: "muted" }, "Anyone with this link can join:"), input, copy, close);
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

  return {
    el,
    notice,
    inviteBox,
    circle: () => circle,
    render,
    load,
    setMemberCount(count: number): void {
      if (!circle) return;
      circle = { ...circle, member_count: count };
      render();
    },
  };
}

/** Whether the viewer moderates the circle (owner or admin): delete others', pin, @everyone. */
export function moderates(circle: Circle | null): boolean {
  return circle?.my_role === "owner" || circle?.my_role === "admin";
}

