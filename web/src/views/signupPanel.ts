// Your own sign-up for an activity and the one right action for it: sign up (or join the
// waitlist), cancel, accept/decline an offer before its countdown ends, re-confirm after a
// change of time or place. Shared by the chat card and the activity page.

import { activities, type ActivityEntry } from "../activities";
import { api } from "../api";
import { h } from "../dom";
import { formatMoney, formatWhen } from "../format";
import { myPayments } from "../payments";
import { forgetReferral, referralFor } from "../referral";
import { store } from "../store";
import type { ActivityStatus, Price, Signup } from "../types";
import { cancelConsequences } from "./cancelConsequences";
import { confirmAction } from "./confirm";
import { countdown } from "./live";

/** What the panel needs to know about the activity (from the card or the activity). */
export interface SeatInfo {
  status: ActivityStatus;
  capacity: number;
  confirmed_count: number;
  held_count: number;
  waitlist_count: number;
  price: Price | null;
}

export function seatsLeft(s: SeatInfo): number {
  return Math.max(0, s.capacity - s.confirmed_count - s.held_count);
}

/** Sign-ups that hold (or wait for) a place; these can be asked to re-confirm. */
const ACTIVE = new Set(["confirmed", "waitlisted", "offered", "pending_payment"]);

/** Sign up, carrying the share link the activity was opened from, if any (referral.ts). */
export async function signUp(id: string): Promise<boolean> {
  const ok = await activities.act(id, "activity:signup", { ...referralFor("activity", id) });
  if (ok) forgetReferral("activity", id);
  return ok;
}

export function myStatusKey(entry: ActivityEntry): string {
  if (!entry.loaded && !entry.signup) return "loading";
  return entry.signup?.status ?? "none";
}

export function signupPanel(id: string, info: SeatInfo, entry: ActivityEntry): HTMLElement {
  const signup = entry.signup;
  const status = myStatusKey(entry);
  const panel = h("div", {
    class: `signup-panel my-${status}`,
    testid: "activity-mine",
    dataset: { myStatus: status, reconfirmPending: String(Boolean(signup?.reconfirm_pending)) },
  });
  const text = h("div", { class: "my-status", testid: "activity-my-status" });
  const buttons = h("div", { class: "signup-buttons" });
  panel.append(text, buttons);

  const button = (label: string, testid: string, onClick: () => void, cls = ""): HTMLButtonElement =>
    h(
      "button",
      {
        class: cls,
        testid,
        attrs: { type: "button", disabled: entry.busy },
        on: { click: onClick },
      },
      label,
    );

  if (status === "loading") {
    text.append(h("span", { class: "muted" }, "Checking your sign-up…"));
  } else if (info.status === "cancelled") {
    text.append("This activity was cancelled.");
  } else if (!signup || signup.status === "cancelled") {
    if (signup?.status === "cancelled") text.append(h("span", { class: "muted" }, "Your sign-up is cancelled. "));
    if (info.status === "closed") {
      text.append("Sign-ups are closed.");
    } else {
      const full = info.status === "full" || seatsLeft(info) === 0;
      const paid = info.price && info.price.amount > 0;
      if (full) text.append("No seats left; you can join the waitlist.");
      buttons.append(
        button(
          full ? "Join waitlist" : paid ? `Sign up · ${formatMoney(info.price!.amount, info.price!.currency)}` : "Sign up",
          "activity-signup",
          () => void signUp(id),
          "primary",
        ),
      );
    }
  } else {
    describe(text, id, signup);
    if (signup.reconfirm_pending && ACTIVE.has(signup.status)) {
      panel.append(
        h(
          "div",
          { class: "reconfirm", testid: "activity-reconfirm" },
          h("strong", {}, "The time or place changed. Are you still going?"),
          h(
            "div",
            { class: "signup-buttons" },
            button("Still going", "activity-reconfirm-yes", () => void activities.reconfirm(id, true), "primary"),
            button("Can't make it", "activity-reconfirm-no", () => void activities.reconfirm(id, false), "danger"),
          ),
        ),
      );
    }
    if (signup.status === "offered") {
      buttons.append(
        button("Accept offer", "activity-accept", () => void activities.acceptOffer(id), "primary"),
        button("Decline", "activity-decline", () => void activities.declineOffer(id)),
      );
    } else if (signup.status === "confirmed" || signup.status === "pending_payment") {
      if (!signup.reconfirm_pending) {
        buttons.append(button("Cancel my spot", "activity-cancel", () => void askCancel(id, info, entry), "danger"));
      }
    } else if (signup.status === "waitlisted") {
      if (!signup.reconfirm_pending) {
        buttons.append(button("Leave waitlist", "activity-cancel", () => void askCancel(id, info, entry), "danger"));
      }
    }
  }
  if (entry.busy) buttons.append(h("span", { class: "muted", testid: "activity-busy" }, "…"));
  panel.append(h("p", { class: "error", testid: "activity-error", attrs: { role: "alert" } }, entry.actionError ?? ""));
  return panel;
}

function describe(text: HTMLElement, id: string, s: Signup): void {
  switch (s.status) {
    case "confirmed":
      text.append(h("strong", {}, "You're going."));
      break;
    case "attended":
      text.append(h("strong", {}, "You're checked in."));
      break;
    case "waitlisted":
      text.append(
        "You're on the waitlist: number ",
        h("strong", { testid: "activity-waitlist-position" }, s.waitlist_position ?? "?"),
        ".",
      );
      break;
    case "offered":
      text.append(h("strong", {}, "A seat opened up for you! "));
      if (s.offer_expires_at) {
        text.append("Accept within ", countdown(s.offer_expires_at, "activity-offer-countdown"), ".");
      }
      break;
    case "pending_payment":
      if (inReview(id, s) && s.hold_expires_at) {
        // Not a countdown to pay: the reference is sent, the organiser has until then to look.
        text.append(
          h("strong", {}, "Seat held for the organiser's review"),
          " until ",
          h("time", { testid: "activity-hold-until", attrs: { datetime: s.hold_expires_at } }, formatWhen(s.hold_expires_at)),
          ".",
        );
        break;
      }
      text.append(h("strong", {}, "Seat held until you pay. "));
      if (s.hold_expires_at) text.append("Pay within ", countdown(s.hold_expires_at, "activity-hold-countdown"), ".");
      break;
    default:
      break;
  }
  if (s.reconfirmed_at && !s.reconfirm_pending && s.status !== "cancelled") {
    text.append(" ", h("span", { class: "pill", testid: "activity-reconfirmed" }, "re-confirmed"));
  }
}

/** A bank transfer / cash reference for the payment holding the seat waits for the organiser. */
function inReview(id: string, s: Signup): boolean {
  const p = myPayments.current(id, s);
  return p !== null && p.provider === "manual" && p.status === "pending" && Boolean(p.reference);
}

let asking = false;

/** "Cancel my spot" / "Leave waitlist" ask first, saying what it costs (seat, place, refund). */
async function askCancel(id: string, info: SeatInfo, entry: ActivityEntry): Promise<void> {
  if (asking) return; // a second click while the first one's dialog is coming
  asking = true;
  try {
    await askCancelOnce(id, info, entry);
  } finally {
    asking = false;
  }
}

async function askCancelOnce(id: string, info: SeatInfo, entry: ActivityEntry): Promise<void> {
  // The counts at the moment of the click (is it full now?): the panel may have been drawn
  // before the counts that include your own seat arrived. One quick read; on failure, what is held.
  try {
    const data = await api.getActivity(id);
    activities.applyActivity(data.activity);
    if (data.my_signup) activities.applySignup(id, data.my_signup, false);
  } catch {
    // the dialog still says what it can from the copy held
  }
  const fresh = activities.get(id);
  const signup = fresh.signup ?? entry.signup;
  if (!signup || !["confirmed", "pending_payment", "waitlisted"].includes(signup.status)) {
    store.notify(`activity:${id}`); // it changed meanwhile: show what it is now
    return;
  }
  const seats: SeatInfo = fresh.activity ?? info;
  const waiting = signup.status === "waitlisted";
  const ok = await confirmAction({
    title: waiting ? "Leave the waitlist?" : "Cancel your spot?",
    message: cancelConsequences(id, seats, fresh, signup, seatsLeft(seats)),
    confirm: waiting ? "Leave waitlist" : "Cancel my spot",
    keep: waiting ? "Stay on the waitlist" : "Keep my spot",
  });
  if (ok) await activities.cancel(id);
}
