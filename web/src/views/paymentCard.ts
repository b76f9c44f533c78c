// The payment card (`card.type == "payment"`) the server posts into the DM between payer and
// organiser when a payment succeeds and when a refund starts and completes: the amount, the
// status and the activity (a link to its page). The payer's proof of payment at check-in.

import { registerCard } from "../cards";
import { h, userText } from "../dom";
import { formatAmount } from "../format";
import { PAYMENT_STATUS_LABEL } from "../payments";
import { activityHash } from "../router";
import type { Card, PaymentCard } from "../types";

const REFUND_STATES = new Set(["refund_pending", "refunded"]);

const NOTE: Record<string, string> = {
  paid: "Seat confirmed. This card is the proof of payment.",
  refund_pending: "A refund has been started.",
  refunded: "The money has been paid back.",
  failed: "The payment did not go through.",
  expired: "The payment expired.",
  pending: "Waiting for the payment.",
};

function asPaymentCard(card: Card): PaymentCard | null {
  const ok =
    typeof card.payment_id === "string" &&
    typeof card.activity_id === "string" &&
    typeof card.amount === "number" &&
    typeof card.currency === "string" &&
    typeof card.status === "string";
  return ok ? (card as unknown as PaymentCard) : null;
}

function paymentCardView(raw: Card): HTMLElement {
  const c = asPaymentCard(raw);
  if (!c) return h("div", { class: "muted", testid: "payment-card-invalid" }, "Payment unavailable");
  const refund = REFUND_STATES.has(c.status);
  const title = typeof c.activity_title === "string" && c.activity_title ? c.activity_title : "the activity";
  return h(
    "div",
    {
      class: `payment-card status-${c.status}`,
      testid: "payment-card",
      dataset: { paymentId: c.payment_id, activityId: c.activity_id, status: c.status, kind: refund ? "refund" : "payment" },
    },
    h(
      "div",
      { class: "payment-card-head" },
      h("strong", { testid: "payment-card-kind" }, refund ? "Refund" : "Payment"),
      h(
        "span",
        { class: `pill payment-${c.status}`, testid: "payment-card-status", dataset: { status: c.status } },
        PAYMENT_STATUS_LABEL[c.status] ?? c.status,
      ),
      c.test ? h("span", { class: "pill warn", testid: "payment-card-test" }, "TEST: no money moved") : null,
    ),
    h(
      "div",
      { class: "payment-card-amount", testid: "payment-card-amount", dataset: { amount: c.amount, currency: c.currency } },
      formatAmount(c.amount, c.currency),
    ),
    h(
      "div",
      {},
      "For ",
      h(
        "a",
        { class: "activity-title", testid: "payment-card-activity", attrs: { href: activityHash(c.activity_id) } },
        userText(title, "payment-card-activity-title"),
      ),
    ),
    h("div", { class: "muted", testid: "payment-card-note" }, NOTE[c.status] ?? ""),
  );
}

registerCard("payment", paymentCardView);
