// The attendee's ticket at the top of the activity page: the rotating check-in QR (ticket.svg)
// and its code text, renewed every ~50 s; once the organiser has checked you in (by QR or by
// name) it turns into a big "Checked in ✓". The page recreates it when the sign-up's status
// moves between confirmed and attended, which it learns live from the card's update.

import { activityError } from "../activities";
import { api } from "../api";
import { formatTime, h, replaceChildren } from "../dom";
import type { Signup } from "../types";
import { countdown } from "./live";
import type { View } from "./view";

/** Tickets rotate every 60 s on the server; fetch a fresh one a little before. */
const TICKET_REFRESH_MS = 50_000;

/** SVG text as a data: URL for an <img> (scripts in an SVG image never run). */
function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** The ticket for a seated sign-up: the QR while `confirmed`, "Checked in ✓" once `attended`. */
export function ticketView(id: string, signup: Signup): View {
  if (signup.status === "attended") return checkedInView(signup);
  const img = h("img", { class: "ticket-qr", testid: "ticket-qr", attrs: { alt: "Check-in QR code", width: 220, height: 220 } });
  const code = h("code", { class: "ticket-code", testid: "ticket-code" });
  const expires = h("span", { class: "muted", testid: "ticket-expires" });
  const status = h("p", { class: "error", testid: "ticket-error" });
  const loading = h("p", { class: "muted", testid: "ticket-loading" }, "Loading your ticket…");
  img.hidden = true; // no broken-image box before the first code arrives
  const el = h(
    "div",
    { class: "ticket", testid: "activity-ticket", dataset: { state: "ticket" } },
    h("h2", {}, "Your ticket"),
    h("p", { class: "muted" }, "Show this at the door. The code changes every minute, so a screenshot will not work later."),
    loading,
    img,
    h("div", { class: "ticket-code-row" }, h("span", { class: "muted" }, "Code: "), code),
    expires,
    status,
  );
  let stopped = false;

  async function load(): Promise<void> {
    try {
      const t = await api.ticket(id);
      const svg = await api.ticketSvg(id, t.code); // the QR of the same code as the text
      if (stopped) return;
      img.src = svgDataUrl(svg);
      img.hidden = false;
      loading.remove();
      code.textContent = t.code;
      el.dataset.expiresAt = t.expires_at;
      replaceChildren(expires, "Valid for another ", countdown(t.expires_at, "ticket-countdown", "0:00"), " (renews by itself)");
      status.textContent = "";
    } catch (err) {
      if (!stopped) status.textContent = activityError(err);
    }
  }

  void load();
  const timer = window.setInterval(() => void load(), TICKET_REFRESH_MS);
  return {
    el,
    dispose: () => {
      stopped = true;
      window.clearInterval(timer);
    },
  };
}

function checkedInView(signup: Signup): View {
  const el = h(
    "div",
    { class: "ticket checked-in", testid: "activity-ticket", dataset: { state: "checked-in" }, attrs: { role: "status" } },
    h("p", { class: "ticket-checked-in", testid: "ticket-checked-in" }, "Checked in ✓"),
    signup.checked_in_at ? h("p", { class: "muted" }, `at ${formatTime(signup.checked_in_at)}. Enjoy!`) : null,
  );
  return { el };
}
