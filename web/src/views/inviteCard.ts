// The invitation card (`card.type == "invite"`) an organiser sends in a DM from the members
// page: their note, the activity's title and start in the reader's own time zone, and a link to
// the activity (where the reader signs up). The card is a snapshot of the send: the activity
// page shows what has changed since.

import { registerCard } from "../cards";
import { h, userText } from "../dom";
import { formatWhen } from "../format";
import { activityHash } from "../router";
import type { Card } from "../types";

interface InviteCard {
  activity_id: string;
  title: string;
  starts_at: string;
  note: string;
}

function asInvite(card: Card): InviteCard | null {
  const ok =
    typeof card.activity_id === "string" &&
    typeof card.title === "string" &&
    typeof card.starts_at === "string" &&
    (card.note === undefined || card.note === null || typeof card.note === "string");
  return ok ? { activity_id: card.activity_id as string, title: card.title as string, starts_at: card.starts_at as string, note: (card.note as string | null) ?? "" } : null;
}

function inviteCardView(raw: Card): HTMLElement {
  const card = asInvite(raw);
  if (!card) return h("div", { class: "muted", testid: "invite-card-invalid" }, "Invitation unavailable");
  const href = activityHash(card.activity_id);
  return h(
    "div",
    { class: "invite-card", testid: "invite-card", dataset: { activityId: card.activity_id } },
    h("span", { class: "pill invite-label" }, "Invitation"),
    card.note ? h("p", { class: "invite-note" }, userText(card.note, "invite-note")) : null,
    h("a", { class: "activity-title", attrs: { href } }, userText(card.title, "invite-title")),
    h("div", { class: "activity-when", testid: "invite-time" }, h("time", { attrs: { datetime: card.starts_at } }, formatWhen(card.starts_at))),
    h("a", { class: "button primary", testid: "invite-open", attrs: { href } }, "See the activity"),
  );
}

registerCard("invite", inviteCardView);
