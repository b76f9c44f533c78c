// What cancelling a sign-up costs, in words, for the confirm dialog: the seat goes to the next
// person waiting, in a full activity signing up again means the back of the queue, and a paid
// seat is refunded only under the activity's refund rule.
//
// The refund is worked out here from data the client already holds, with the server's rule
// (server/activities/rules.py `cancel`): a `confirmed` sign-up whose payment is `paid` is
// refunded in full when cancelled at least `refund_cutoff_hours` before `starts_at`, else not at
// all. The dialog is shown for a moment, so "now" is the browser's clock when it opens.

import type { ActivityEntry } from "../activities";
import type { Child } from "../dom";
import { h } from "../dom";
import { formatAmount, formatWhen } from "../format";
import { myPayments } from "../payments";
import type { Signup } from "../types";

interface Seats {
  status: string;
  waitlist_count: number;
}

export function cancelConsequences(id: string, info: Seats, entry: ActivityEntry, signup: Signup, seatsLeft: number): Child[][] {
  const full = info.status === "full" || seatsLeft === 0 || info.waitlist_count > 0;
  if (signup.status === "waitlisted") {
    return [
      [`You are number ${signup.waitlist_position ?? "?"} on the waitlist.`],
      ["If you leave and sign up again later, you go to the back of the queue."],
    ];
  }
  const out: Child[][] = [];
  out.push([
    info.waitlist_count > 0
      ? "Your seat is given to the next person on the waitlist."
      : "Your seat is given away: anyone can take it.",
  ]);
  out.push([
    full
      ? "The activity is full: if you change your mind, signing up again puts you at the back of the waitlist."
      : "If you change your mind, you can sign up again only while seats are left.",
  ]);
  const refund = refundLine(id, entry, signup);
  if (refund) out.push(refund);
  return out;
}

function refundLine(id: string, entry: ActivityEntry, signup: Signup): Child[] | null {
  const p = myPayments.current(id, signup);
  if (signup.status === "pending_payment") {
    if (p?.provider === "manual" && p.reference) {
      return ["You sent a transfer reference that the organiser has not confirmed yet: if you already paid, settle it with them."];
    }
    return ["You have not paid, so nothing is charged."];
  }
  if (!p || p.status !== "paid") return null;
  const amount = h("strong", { testid: "confirm-refund-amount" }, formatAmount(p.amount, p.currency));
  const test = p.test ? " (a test payment: no money moves)" : "";
  const a = entry.activity;
  if (!a || a.refund_cutoff_hours === undefined) {
    return ["You paid ", amount, test, ". Whether it is refunded depends on the organiser's refund rule."];
  }
  const hours = a.refund_cutoff_hours;
  const cutoff = new Date(Date.parse(a.starts_at) - hours * 3600_000);
  const rule = hours === 0 ? "until the start" : `up to ${hours} hour${hours === 1 ? "" : "s"} before the start`;
  if (Date.now() <= cutoff.getTime()) {
    return [
      h("span", { testid: "confirm-refund", dataset: { refund: "full" } }, "You will be refunded ", amount, " in full", test, "."),
      ` Cancellations are refunded ${rule} (until ${formatWhen(cutoff.toISOString())}).`,
    ];
  }
  return [
    h("span", { testid: "confirm-refund", dataset: { refund: "none" } }, "No refund: the ", amount, " you paid", test, " is not refunded."),
    ` Cancellations are refunded only ${rule}, and that was ${formatWhen(cutoff.toISOString())}.`,
  ];
}
