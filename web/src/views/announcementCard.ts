// The announcement card (`card.type == "announcement"`) an organiser posts in the circle's chat
// from the members page: an "Announcement" label and their text. Whom it was meant for is told
// by a notification to each of them; in the chat it reads the same for everyone.

import { registerCard } from "../cards";
import { h, userText } from "../dom";
import type { Card } from "../types";

function announcementCardView(card: Card): HTMLElement {
  const note = typeof card.note === "string" ? card.note : "";
  return h(
    "div",
    { class: "announcement-card", testid: "announcement-card", dataset: { outreachId: typeof card.outreach_id === "string" ? card.outreach_id : "" } },
    h("span", { class: "pill announcement-label", testid: "announcement-label" }, "Announcement"),
    h("p", { class: "announcement-note" }, userText(note, "announcement-note")),
  );
}

registerCard("announcement", announcementCardView);
