// The sandbox provider's checkout (#/pay/<payment_id>): a test payment page inside the app, for
// the signed-in payer. It says plainly that this is a TEST payment and no money moves, shows what
// is paid for, and completes through `POST /api/payments/{id}/sandbox/complete` with the
// session's bearer token: the server refuses anyone but the payer, so a copied link pays nothing.
// "Back to the activity" leaves without paying; the seat stays held until its hold runs out.

import { activities } from "../activities";
import { api } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { formatAmount } from "../format";
import { myPayments, PAYMENT_STATUS_LABEL, paymentError } from "../payments";
import { activityHash, navigate } from "../router";
import { store } from "../store";
import type { Payment } from "../types";
import type { View } from "./view";

const PAYABLE = new Set(["pending", "failed"]);

export function paymentCheckoutView(paymentId: string): View {
  const heading = h("h1", {}, "Test checkout");
  const notice = h(
    "div",
    { class: "payment-failed checkout-test-notice", testid: "checkout-test-notice", attrs: { role: "note" } },
    h("strong", {}, "TEST PAYMENT: no money moves. "),
    "This is the Circles sandbox provider, for trying things out. No card is charged and nobody is paid; ",
    "the organiser sees it as a test payment, not as money received.",
  );
  const details = h("div", { class: "checkout-details", testid: "checkout-details" }, h("span", { class: "muted" }, "Loading…"));
  const error = h("p", { class: "error", testid: "checkout-error", attrs: { role: "alert" } });
  const back = h("a", { class: "button", testid: "checkout-back", attrs: { href: "#/me/activities" } }, "← Back");
  const buttons = h("div", { class: "form-buttons" });
  const el = h(
    "section",
    { class: "pane activity-pane checkout-view", testid: "checkout-view", dataset: { paymentId, state: "loading" } },
    h("div", { class: "crumbs" }, back),
    h("header", { class: "pane-header" }, heading),
    h("div", { class: "form-card" }, notice, details, buttons, error),
  );
  let payment: Payment | null = null;
  let busy = false;
  let gone = false;

  function draw(): void {
    const p = payment;
    if (!p) return;
    const a = activities.get(p.activity_id).activity;
    back.setAttribute("href", activityHash(p.activity_id));
    back.textContent = "← Back to the activity";
    const mine = p.user_id === store.me?.id;
    const payable = mine && p.provider === "sandbox" && PAYABLE.has(p.status);
    el.dataset.state = !mine ? "not-payer" : payable ? "ready" : "closed";
    el.dataset.status = p.status;
    replaceChildren(
      details,
      h("p", {}, "Amount: ", h("strong", { testid: "checkout-amount" }, `${formatAmount(p.amount, p.currency)} (test)`)),
      h("p", {}, "For: ", a ? userText(a.title, "checkout-activity") : h("span", { class: "muted" }, "the activity")),
      h(
        "p",
        {},
        "Status: ",
        h("span", { class: `pill payment-${p.status}`, testid: "checkout-status", dataset: { status: p.status } }, PAYMENT_STATUS_LABEL[p.status] ?? p.status),
      ),
      !mine ? h("p", { class: "muted" }, "Only the person paying can complete this checkout.") : null,
      mine && !payable ? h("p", { class: "muted" }, "There is nothing left to pay here.") : null,
    );
    replaceChildren(
      buttons,
      payable
        ? h(
            "button",
            { class: "primary", testid: "checkout-pay", attrs: { type: "button", disabled: busy }, on: { click: () => void pay() } },
            `Pay ${formatAmount(p.amount, p.currency)} (test, no money moves)`,
          )
        : null,
      h("a", { class: "button", testid: "checkout-cancel", attrs: { href: activityHash(p.activity_id) } }, payable ? "Not now" : "Go to the activity"),
    );
  }

  async function pay(): Promise<void> {
    if (!payment || busy) return;
    busy = true;
    error.textContent = "";
    draw();
    try {
      payment = await myPayments.completeSandbox(payment);
      activities.refresh(payment.activity_id);
      if (!gone) navigate(activityHash(payment.activity_id));
    } catch (err) {
      error.textContent = paymentError(err);
      void load();
    } finally {
      busy = false;
      if (!gone) draw();
    }
  }

  async function load(): Promise<void> {
    try {
      const { payment: p } = await api.getPayment(paymentId);
      payment = p;
      activities.ensure(p.activity_id);
      draw();
    } catch (err) {
      el.dataset.state = "error";
      replaceChildren(details);
      error.textContent = paymentError(err);
    }
  }

  const unsubscribe = store.subscribe("me", draw);
  let unsubActivity: (() => void) | null = null;
  void load().then(() => {
    if (payment && !gone) unsubActivity = store.subscribe(`activity:${payment.activity_id}`, draw);
  });
  return {
    el,
    dispose: () => {
      gone = true;
      unsubscribe();
      unsubActivity?.();
    },
  };
}
