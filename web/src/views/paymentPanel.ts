// Paying for your held seat (`pending_payment`), shared by the chat card and the activity page:
// the choice of manual (bank transfer / cash: a reference and an optional note for the organiser
// to confirm, which holds the seat for the organiser's review window) or, where the server
// enables it, the sandbox (a TEST card payment on the app's checkout page, #/pay/<id>), the state
// of the payment, a failed payment's reason with a fresh start, and once seated (or cancelled)
// what became of the payment (after a rejected transfer the seat stays held for an ordinary
// hold, to pay again).
//
// The panel is built once per card/page and updated in place; its DOM is rebuilt only when what
// it shows changes, and the proof inputs are kept across rebuilds, so live updates never wipe a
// reference being typed.

import { activities, type ActivityEntry } from "../activities";
import { h, replaceChildren, userText, type Child } from "../dom";
import { formatAmount, formatWhen } from "../format";
import { myPayments, PAYMENT_STATUS_LABEL, PROVIDER_LABEL } from "../payments";
import type { Payment, Price, Signup } from "../types";

/** A manual payment waiting for the organiser is looked at again this often (nothing is pushed). */
const REVIEW_POLL_MS = 10_000;

type PanelState = "hidden" | "loading" | "choose" | "checkout" | "proof" | "awaiting" | "failed" | "paid" | "summary";

export interface PaymentPanel {
  el: HTMLElement;
  update(entry: ActivityEntry, cancelled: boolean): void;
}

export function paymentPanel(activityId: string): PaymentPanel {
  const el = h("div", { class: "payment-panel", testid: "payment-panel", dataset: { state: "hidden" } });
  el.hidden = true;

  // Kept across rebuilds: the proof form's inputs.
  const reference = h("input", {
    testid: "payment-proof-reference",
    attrs: { maxlength: 200, required: true, placeholder: "Transfer reference or receipt number", "aria-label": "Reference" },
  });
  const note = h("textarea", {
    testid: "payment-proof-note",
    attrs: { maxlength: 1000, rows: 2, placeholder: "Note for the organiser (optional)", "aria-label": "Note" },
  });
  let editingProof = false;
  /** The payment the proof inputs were filled for. */
  let formFor: string | null = null;
  let shownKey = "";
  let last: { entry: ActivityEntry; cancelled: boolean } | null = null;
  let poll: number | undefined;

  function stopPoll(): void {
    if (poll !== undefined) window.clearInterval(poll);
    poll = undefined;
  }

  function startPoll(): void {
    if (poll !== undefined) return;
    poll = window.setInterval(() => {
      // A panel is on the page well within one period of being built: off the page means gone.
      if (!el.isConnected) {
        stopPoll();
        return;
      }
      if (document.visibilityState === "visible") myPayments.refresh(activityId, last?.entry.signup ?? null);
    }, REVIEW_POLL_MS);
  }

  function stateOf(signup: Signup | null, p: Payment | null, cancelled: boolean, price: Price | null): PanelState {
    if (!signup) return "hidden";
    if (signup.status === "pending_payment" && !cancelled) {
      const mine = myPayments.get(activityId);
      if (!p) return signup.payment_id && (mine.inFlight || mine.fetchedFor === null) ? "loading" : "choose";
      if (p.status === "failed") return "failed";
      if (p.status === "paid") return "paid";
      if (p.status === "pending" && p.provider === "manual") return p.reference && !editingProof ? "awaiting" : "proof";
      if (p.status === "pending") return "checkout";
      return "choose"; // expired or refunded: start again
    }
    if (signup.payment_id && p && (price?.amount ?? p.amount) > 0) return "summary";
    return "hidden";
  }

  function update(entry: ActivityEntry, cancelled: boolean): void {
    const signup = entry.signup;
    last = { entry, cancelled };
    myPayments.ensure(activityId, signup);
    const mine = myPayments.get(activityId);
    const p = myPayments.current(activityId, signup);
    const price = entry.activity?.price ?? null;
    const state = stateOf(signup, p, cancelled, price);
    if (state === "awaiting") startPoll();
    else stopPoll();
    const key = JSON.stringify([
      state,
      p?.id,
      p?.status,
      p?.provider,
      p?.reference,
      p?.note,
      p?.failure_reason,
      p?.updated_at,
      price,
      mine.busy,
      mine.error,
      signup?.status,
      signup?.hold_expires_at,
      myPayments.offers("sandbox"),
    ]);
    if (key === shownKey) return;
    shownKey = key;
    el.hidden = state === "hidden";
    el.dataset.state = state;
    el.dataset.paymentId = p?.id ?? "";
    el.dataset.paymentStatus = p?.status ?? "";
    el.dataset.provider = p?.provider ?? "";
    replaceChildren(el, ...render(state, p, price, mine.busy));
    el.append(h("p", { class: "error", testid: "payment-error", attrs: { role: "alert" } }, mine.error ?? ""));
  }

  function rerender(): void {
    shownKey = "";
    if (last) update(last.entry, last.cancelled);
  }

  function amountOf(p: Payment | null, price: Price | null): string {
    if (p) return formatAmount(p.amount, p.currency);
    return price ? formatAmount(price.amount, price.currency) : "";
  }

  function button(label: string, testid: string, busy: boolean, onClick: () => void, cls = ""): HTMLButtonElement {
    return h("button", { class: cls, testid, attrs: { type: "button", disabled: busy }, on: { click: onClick } }, label);
  }

  function choices(busy: boolean): HTMLElement {
    return h(
      "div",
      { class: "signup-buttons payment-choices", testid: "payment-choices" },
      myPayments.offers("sandbox")
        ? button("Test payment (sandbox, no money)", "payment-pay-sandbox", busy, () => void myPayments.start(activityId, "sandbox"), "primary")
        : null,
      button("Bank transfer / cash", "payment-pay-manual", busy, () => {
        editingProof = false;
        void myPayments.start(activityId, "manual");
      }),
    );
  }

  /** "Pay by card instead", where the server offers the sandbox. */
  function switchToSandbox(busy: boolean): HTMLButtonElement | null {
    if (!myPayments.offers("sandbox")) return null;
    return button("Test payment (sandbox) instead", "payment-switch-sandbox", busy, () => void myPayments.start(activityId, "sandbox"), "link");
  }

  function status(p: Payment): HTMLElement {
    return h(
      "span",
      { class: `pill payment-${p.status}`, testid: "payment-status", dataset: { status: p.status } },
      PAYMENT_STATUS_LABEL[p.status] ?? p.status,
    );
  }

  function proofForm(p: Payment, busy: boolean): HTMLElement {
    if (formFor !== p.id) {
      // A new payment starts with what it carries (nothing, or the reference already sent).
      formFor = p.id;
      reference.value = p.reference ?? "";
      note.value = p.note ?? "";
    }
    return h(
      "form",
      {
        class: "payment-proof-form",
        testid: "payment-proof-form",
        on: {
          submit: async (ev) => {
            ev.preventDefault();
            const ref = reference.value.trim();
            if (!ref) {
              reference.focus();
              return;
            }
            if (await myPayments.submitProof(activityId, p.id, ref, note.value.trim())) {
              editingProof = false;
              rerender();
            }
          },
        },
      },
      reference,
      note,
      h(
        "div",
        { class: "signup-buttons" },
        h("button", { class: "primary", testid: "payment-proof-submit", attrs: { type: "submit", disabled: busy } }, "Send reference"),
        p.reference
          ? button("Keep the one sent", "payment-proof-cancel", busy, () => {
              editingProof = false;
              rerender();
            })
          : null,
      ),
    );
  }

  function render(state: PanelState, p: Payment | null, price: Price | null, busy: boolean): Child[] {
    const amount = amountOf(p, price);
    const heldUntil = last?.entry.signup?.hold_expires_at ?? null;
    switch (state) {
      case "hidden":
        return [];
      case "loading":
        return [h("span", { class: "muted" }, "Checking your payment…")];
      case "choose":
        return [
          h("div", { class: "payment-head" }, h("strong", {}, `Pay ${amount}`), " to keep your seat."),
          p?.status === "expired" ? h("p", { class: "muted" }, "Your previous payment expired.") : null,
          choices(busy),
        ];
      case "checkout":
        return [
          h("div", { class: "payment-head" }, "Test card payment of ", h("strong", {}, amount), " started. ", status(p!)),
          h(
            "div",
            { class: "signup-buttons" },
            button("Continue to checkout", "payment-pay-sandbox", busy, () => void myPayments.start(activityId, "sandbox"), "primary"),
            button("Bank transfer / cash instead", "payment-pay-manual", busy, () => void myPayments.start(activityId, "manual")),
          ),
        ];
      case "proof":
        return [
          h(
            "div",
            { class: "payment-head" },
            "Transfer ",
            h("strong", {}, amount),
            " to the organiser (or pay in cash), then enter the reference so they can confirm it.",
          ),
          proofForm(p!, busy),
          h("div", { class: "signup-buttons" }, switchToSandbox(busy)),
        ];
      case "awaiting":
        return [
          h("div", { class: "payment-head" }, "Bank transfer of ", h("strong", {}, amount), " ", status(p!)),
          h(
            "div",
            { class: "payment-proof" },
            "Reference sent: ",
            userText(p!.reference ?? "", "payment-reference", "payment-reference"),
            p!.note ? h("div", { class: "muted" }, "Note: ", userText(p!.note, "payment-note")) : null,
          ),
          h(
            "p",
            { class: "muted", testid: "payment-waiting" },
            "Waiting for the organiser to confirm it.",
            heldUntil ? ` Your seat is held until ${formatWhen(heldUntil)}.` : "",
          ),
          h(
            "div",
            { class: "signup-buttons" },
            button("Check status", "payment-refresh", busy, () => {
              myPayments.refresh(activityId, last?.entry.signup ?? null);
              activities.refresh(activityId);
            }),
            button("Change reference", "payment-edit-proof", busy, () => {
              editingProof = true;
              formFor = p!.id;
              reference.value = p!.reference ?? "";
              note.value = p!.note ?? "";
              rerender();
              reference.focus();
            }),
            switchToSandbox(busy),
          ),
        ];
      case "failed":
        return [
          h(
            "div",
            { class: "payment-failed", testid: "payment-failed", attrs: { role: "status" } },
            h("strong", {}, p!.provider === "manual" ? "Your payment was not accepted: " : "Your payment failed: "),
            userText(p!.failure_reason || "no reason given", "payment-failure-reason"),
            " ",
            status(p!),
          ),
          h("p", { class: "muted" }, `You can pay ${amount} again while your seat is held.`),
          choices(busy),
        ];
      case "paid":
        return [h("div", { class: "payment-head" }, "Payment received ", status(p!), " Confirming your seat…")];
      case "summary":
        return [
          h(
            "div",
            { class: "payment-summary", testid: "payment-summary" },
            "Payment: ",
            h("strong", { testid: "payment-amount" }, amount),
            ` · ${PROVIDER_LABEL[p!.provider] ?? p!.provider} · `,
            status(p!),
            p!.status === "paid" ? h("span", { class: "muted" }, ` ${formatWhen(p!.updated_at)}`) : null,
          ),
          p!.test ? h("p", { class: "muted", testid: "payment-test" }, "A test payment: no money moved.") : null,
          p!.status === "failed" && p!.failure_reason
            ? h("p", { class: "muted" }, "Not accepted: ", userText(p!.failure_reason, "payment-failure-reason"))
            : null,
          p!.status === "refund_pending"
            ? h("p", { class: "muted" }, "Your refund is on its way.")
            : null,
        ];
    }
  }

  return { el, update };
}

// ---- the chat card's panel --------------------------------------------------------------------

/**
 * A chat card is rebuilt whenever its message changes (every change of the activity), so the
 * card's payment panel is kept per activity and moved into the new card: a reference being typed
 * survives, and so does the focus.
 */
const cardPanels = new Map<string, PaymentPanel>();

export function cardPaymentPanel(activityId: string, into: HTMLElement): PaymentPanel {
  let panel = cardPanels.get(activityId);
  if (!panel) {
    panel = paymentPanel(activityId);
    cardPanels.set(activityId, panel);
  }
  const active = document.activeElement;
  const focused = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? active : null;
  const keep = focused && panel.el.contains(focused) ? focused : null;
  const selection = keep ? [keep.selectionStart, keep.selectionEnd] : null;
  into.append(panel.el);
  if (keep) {
    // The new card is put on the page right after it is built.
    queueMicrotask(() => {
      if (!keep.isConnected || document.activeElement === keep) return;
      keep.focus();
      if (selection && selection[0] !== null && selection[1] !== null) keep.setSelectionRange(selection[0], selection[1]);
    });
  }
  return panel;
}

/** Forget the card panels (and what was typed in them), e.g. on signing out. */
export function resetCardPaymentPanels(): void {
  cardPanels.clear();
}
