// `circle:link_held` (docs/protocol.md "Join approval and blocks", newcomers' links): staff are
// told that a new member's link was refused. A short notice at the foot of the page says where
// and what, links to the member's profile (to act on them from there or the member list), and
// goes after a while or on Dismiss. Nothing was stored, so there is nothing to release.

import { h, userText } from "../dom";
import { store } from "../store";
import type { components } from "../wire.gen";

export type LinkHeld = components["schemas"]["LinkHeldOut"];

const SHOW_MS = 20_000;
const MAX_SHOWN = 3;

/** The notice's sentence; `circle` is the circle's name when this client knows it. */
export function linkHeldText(who: string | undefined, circle: string | undefined): string {
  const where = circle ? ` in ${circle}` : "";
  return `${who ?? "A new member"} joined recently, so their link${where} was held back:`;
}

function circleName(circleId: string): string | undefined {
  for (const s of store.conversations.values()) if (s.conv.circle_id === circleId) return s.conv.title;
  return undefined;
}

let stack: HTMLElement | null = null;

/** Show the notice (chat.ts forwards the event; only staff receive it). */
export function linkHeld(e: LinkHeld): void {
  if (!stack || !stack.isConnected) {
    stack = h("div", { class: "toasts", testid: "toasts", attrs: { "aria-live": "polite" } });
    document.body.append(stack);
  }
  const holder = stack;
  const toast: HTMLElement = h(
    "div",
    { class: "toast", testid: "link-held-toast", dataset: { circleId: e.circle_id, userId: e.user_id } },
    h("p", {}, linkHeldText(store.names.get(e.user_id), circleName(e.circle_id))),
    userText(e.text, "link-held-text", "user-text muted"),
    h(
      "div",
      { class: "row" },
      h("a", { attrs: { href: `#/user/${encodeURIComponent(e.user_id)}` }, on: { click: (): void => toast.remove() } }, "Their profile"),
      h("button", { class: "link", testid: "link-held-dismiss", attrs: { type: "button" }, on: { click: (): void => toast.remove() } }, "Dismiss"),
    ),
  );
  holder.append(toast);
  while (holder.childElementCount > MAX_SHOWN) holder.firstElementChild?.remove();
  setTimeout(() => toast.remove(), SHOW_MS);
}
