// `circle:link_held` (docs/protocol.md "Join approval and blocks", newcomers' links): staff are
// told that a new member's link is held for review. A short notice at the foot of the page says
// where and what, links to the member's profile, and lets staff Approve (the message is posted
// in the chat as the member) or Decline it (POST /api/circles/{id}/holds/{hold_id}/…). It goes
// after a while or on Dismiss; the held message stays in GET …/holds until someone decides it.
// The sender's own failed message reads "Not sent: Held for review: …" (the server's message).

import { describeError, request } from "../api";
import { h, userText } from "../dom";
import { store } from "../store";
import type { components } from "../wire.gen";

type S = components["schemas"];
export type LinkHeld = S["LinkHeldOut"];

const SHOW_MS = 20_000;
const MAX_SHOWN = 3;

export const holdsApi = {
  pending: (circleId: string) => request<S["HoldsOut"]>("GET", `/circles/${encodeURIComponent(circleId)}/holds`),
  decide: (circleId: string, holdId: string, what: "approve" | "decline", reason = "") =>
    request<S["HoldEnvelope"]>(
      "POST",
      `/circles/${encodeURIComponent(circleId)}/holds/${encodeURIComponent(holdId)}/${what}`,
      { reason } satisfies S["HoldDecideIn"],
    ),
};

/** The notice's sentence; `circle` is the circle's name when this client knows it. */
export function linkHeldText(who: string | undefined, circle: string | undefined): string {
  const where = circle ? ` in ${circle}` : "";
  return `${who ?? "A new member"} joined recently, so their link${where} was held back for review:`;
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
  const status = h("p", { class: "muted", testid: "link-held-status", attrs: { role: "status" } });
  const buttons: HTMLButtonElement[] = [];
  let timer = 0;
  const decide = async (what: "approve" | "decline"): Promise<void> => {
    window.clearTimeout(timer); // a decision in flight keeps the notice up
    for (const b of buttons) b.disabled = true;
    try {
      await holdsApi.decide(e.circle_id, e.hold_id, what);
      status.textContent = what === "approve" ? "Approved: posted in the chat." : "Declined.";
      toast.dataset.state = what === "approve" ? "approved" : "declined";
    } catch (err) {
      status.textContent = describeError(err); // e.g. another moderator decided it first
      toast.dataset.state = "error";
    }
    timer = window.setTimeout(() => toast.remove(), SHOW_MS);
  };
  const button = (what: "approve" | "decline", cls: string, label: string): HTMLButtonElement => {
    const b = h("button", { class: cls, testid: `link-held-${what}`, attrs: { type: "button" }, on: { click: () => void decide(what) } }, label);
    buttons.push(b);
    return b;
  };
  const toast: HTMLElement = h(
    "div",
    { class: "toast", testid: "link-held-toast", dataset: { circleId: e.circle_id, userId: e.user_id, holdId: e.hold_id, state: "pending" } },
    h("p", {}, linkHeldText(store.names.get(e.user_id), circleName(e.circle_id))),
    userText(e.text, "link-held-text", "user-text muted"),
    h(
      "div",
      { class: "row" },
      button("approve", "primary", "Approve"),
      button("decline", "danger", "Decline"),
      h("a", { attrs: { href: `#/user/${encodeURIComponent(e.user_id)}` }, on: { click: (): void => toast.remove() } }, "Their profile"),
      h("button", { class: "link", testid: "link-held-dismiss", attrs: { type: "button" }, on: { click: (): void => toast.remove() } }, "Dismiss"),
    ),
    status,
  );
  holder.append(toast);
  while (holder.childElementCount > MAX_SHOWN) holder.firstElementChild?.remove();
  timer = window.setTimeout(() => toast.remove(), SHOW_MS);
}
