// The bell in the top bar: the unread count, and a panel of recent notifications (newest
// first; live ones are prepended). Opening an activity notification marks it read and goes to
// the activity's page; a reviewed message report goes to the circle's chat.

import { describeError } from "../api";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { notifications } from "../notifications";
import { activityHash, conversationHash, navigate } from "../router";
import { store } from "../store";
import { notificationText } from "../time";
import type { Notification } from "../types";
import type { View } from "./view";

// Glyphs every system font has (emoji fonts are often missing on Linux).
const KIND_ICON: Record<string, string> = {
  signup_confirmed: "✓",
  waitlisted: "…",
  offer: "★",
  offer_expired: "×",
  hold_expired: "×",
  activity_changed: "✎",
  activity_cancelled: "✗",
  reminder: "!",
  host_signup: "+",
  host_cancelled: "−",
  host_waitlist_moved: "↑",
  host_offer_accepted: "✓",
  host_offer_lapsed: "×",
  host_reconfirmed: "✓",
  payment_succeeded: "$",
  refund_succeeded: "$",
  report_outcome: "⚑", // a report the reader filed was reviewed (title and body say how)
  announcement: "📣", // an organiser's announcement addressed to the reader (docs/protocol.md "Outreach")
};

/** A bell outline, built with the DOM API (no markup strings). */
function bellIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  for (const d of ["M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9", "M10.3 21a1.94 1.94 0 0 0 3.4 0"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export function notificationsBell(): View {
  const count = h("span", { class: "badge", testid: "notif-count" });
  const bell = h(
    "button",
    {
      class: "bell",
      testid: "notif-bell",
      attrs: { type: "button", "aria-label": "Notifications", "aria-expanded": "false", "aria-haspopup": "true" },
      on: { click: () => toggle() },
    },
    bellIcon(),
    count,
  );
  const list = h("ul", { class: "notif-list", testid: "notif-list" });
  const error = h("p", { class: "error", testid: "notif-error" });
  const readAll = h(
    "button",
    {
      class: "link",
      testid: "notif-read-all",
      attrs: { type: "button" },
      on: {
        click: () => {
          notifications.markAllRead().catch((err) => (error.textContent = describeError(err)));
        },
      },
    },
    "Mark all read",
  );
  const panel = h(
    "div",
    { class: "notif-panel", testid: "notif-panel", attrs: { role: "dialog", "aria-label": "Notifications" } },
    h("div", { class: "notif-head" }, h("strong", {}, "Notifications"), readAll),
    error,
    list,
  );
  panel.hidden = true;
  const el = h("div", { class: "notif" }, bell, panel);

  function toggle(open = panel.hidden): void {
    panel.hidden = !open;
    bell.setAttribute("aria-expanded", String(open));
    if (open) {
      void notifications.load();
      render();
    }
  }

  function onDocClick(ev: MouseEvent): void {
    if (!panel.hidden && !el.contains(ev.target as Node)) toggle(false);
  }
  function onKey(ev: KeyboardEvent): void {
    if (ev.key === "Escape" && !panel.hidden) toggle(false);
  }
  document.addEventListener("click", onDocClick);
  document.addEventListener("keydown", onKey);

  function item(n: Notification): HTMLElement {
    const body = notificationText(n);
    const activityId = typeof n.data?.activity_id === "string" ? n.data.activity_id : null;
    // a reviewed message report and an announcement name the circle's chat (docs/protocol.md
    // "Member reports", "Outreach")
    const opensChat = n.kind === "report_outcome" || n.kind === "announcement";
    const chatId = opensChat && typeof n.data?.conversation_id === "string" ? n.data.conversation_id : null;
    const open = (): void => {
      if (!n.read) notifications.markRead([n.id]).catch((err) => (error.textContent = describeError(err)));
      const target = activityId ? activityHash(activityId) : chatId ? conversationHash(chatId) : null;
      if (target) {
        toggle(false);
        navigate(target);
      }
    };
    return h(
      "li",
      {},
      h(
        "button",
        {
          class: `notif-item${n.read ? "" : " unread"}`,
          testid: "notif-item",
          dataset: { id: n.id, kind: n.kind, read: String(n.read), activityId: activityId ?? "", conversationId: chatId ?? "" },
          attrs: { type: "button" },
          on: { click: open },
        },
        h("span", { class: "notif-icon", attrs: { "aria-hidden": "true" } }, KIND_ICON[n.kind] ?? "•"),
        h(
          "span",
          { class: "notif-text" },
          userText(n.title, "notif-title", "notif-title"),
          body ? userText(body, "notif-body", "notif-body muted") : null,
          h("time", { class: "muted", attrs: { datetime: n.created_at } }, formatTime(n.created_at)),
        ),
      ),
    );
  }

  function render(): void {
    const unread = notifications.unread;
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    bell.dataset.count = String(unread);
    bell.classList.toggle("has-unread", unread > 0);
    readAll.disabled = unread === 0;
    if (notifications.error && !notifications.loaded) error.textContent = notifications.error;
    else error.textContent = "";
    if (panel.hidden) return;
    replaceChildren(list, ...notifications.items.map(item));
    if (!notifications.items.length) {
      list.append(h("li", { class: "muted empty" }, notifications.loaded ? "Nothing yet." : "Loading…"));
    }
  }

  const unsub = store.subscribe("notifications", render);
  render();
  return {
    el,
    dispose: () => {
      unsub();
      document.removeEventListener("click", onDocClick);
      document.removeEventListener("keydown", onKey);
    },
  };
}
