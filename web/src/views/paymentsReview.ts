// The organiser's payment review on the activity page (`GET /api/activities/{id}/payments`):
// totals of real money (gross, refunded, net) and, apart, of test (sandbox) payments, then each
// payment with its payer, amount, provider, status, reference and note, and its ledger history.
// Manual payments with a reference can be confirmed or rejected (with a reason), also late (the
// payment expired): confirming gives the seat back if one is free, else refunds; a manual refund
// in progress can be marked done. The list is fetched again after each action and whenever the
// activity may have changed.
//
// Rows are keyed by payment and re-rendered only when their payment changes, so a rejection
// reason being typed survives a refresh of the list.

import { api } from "../api";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { formatAmount } from "../format";
import { EVENT_REASON_LABEL, PAYMENT_STATUS_LABEL, PROVIDER_LABEL, paymentError } from "../payments";
import { store } from "../store";
import type { Attendee, Payment, PaymentDetail, PaymentEvent, PaymentTotals } from "../types";
import { KeyedList } from "./keyedList";

export interface PaymentsReview {
  el: HTMLElement;
  /** Reload when `stamp` (what is known about the activity) moved. */
  follow(stamp: string, currency: string | null): void;
  reload(): Promise<void>;
}

interface Payer {
  name: string;
  handle: string | null;
}

/** A manual payment the organiser can decide: pending or expired (late), with a reference. */
export function awaitsReview(p: Payment): boolean {
  return p.provider === "manual" && (p.status === "pending" || p.status === "expired") && Boolean(p.reference);
}

export function paymentsReview(activityId: string): PaymentsReview {
  const totalsEl = h("dl", { class: "payment-totals", testid: "payments-totals" });
  const summary = h("p", { class: "muted", testid: "payments-summary" });
  const error = h("p", { class: "error", testid: "payments-error", attrs: { role: "alert" } });
  const list = h("ul", { class: "payment-list", testid: "payment-list" });
  const empty = h("p", { class: "muted", testid: "payments-empty" }, "No payments yet.");
  empty.hidden = true;
  const refreshButton = h(
    "button",
    { class: "link", testid: "payments-refresh", attrs: { type: "button" }, on: { click: () => void reload() } },
    "Refresh",
  );
  const el = h(
    "div",
    { class: "payments-review", testid: "payments-review", dataset: { loaded: "false" } },
    h("h3", {}, "Payments ", refreshButton),
    totalsEl,
    summary,
    error,
    list,
    empty,
  );
  const rows = new KeyedList(list);

  let currency: string | null = null;
  let followed = "";
  let running = false;
  let again = false;
  let payments: PaymentDetail[] = [];
  let payers = new Map<string, Payer>();
  // Per payment: an action waiting for its answer, its error, the open reject form and input,
  // and whether the history is unfolded.
  const busy = new Set<string>();
  const rowErrors = new Map<string, string>();
  const rejecting = new Map<string, HTMLInputElement>();
  const openHistory = new Set<string>();

  async function reload(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    el.dataset.loading = "true";
    try {
      const [data, people] = await Promise.all([
        api.activityPayments(activityId),
        api.attendees(activityId).catch(() => ({ signups: [] as Attendee[] })),
      ]);
      payers = new Map(people.signups.map((s) => [s.user_id, { name: s.display_name, handle: s.handle }]));
      payments = data.payments;
      renderTotals(data.totals);
      renderRows();
      error.textContent = "";
      el.dataset.loaded = "true";
    } catch (err) {
      error.textContent = paymentError(err);
    } finally {
      running = false;
      el.dataset.loading = "false";
    }
    if (again) void reload();
  }

  function renderTotals(t: PaymentTotals): void {
    const cur = t.currency ?? currency;
    const money = (n: number) => (cur ? formatAmount(n, cur) : String(n));
    totalsEl.dataset.currency = cur ?? "";
    const item = (label: string, testid: string, n: number) => [
      h("dt", {}, label),
      h("dd", { testid, dataset: { amount: n } }, money(n)),
    ];
    replaceChildren(
      totalsEl,
      ...item("Received", "payments-gross", t.gross),
      ...item("Refunded", "payments-refunded", t.refunded),
      ...item("Net", "payments-net", t.net),
      h("dt", {}, "Currency"),
      h("dd", { testid: "payments-currency" }, cur ?? "—"),
    );
    // Sandbox money is not money: never added to the totals above.
    if (t.test && (t.test.gross || t.test.refunded)) {
      totalsEl.append(
        ...item("Test payments (no money)", "payments-test-gross", t.test.gross),
        ...item("Test refunds", "payments-test-refunded", t.test.refunded),
      );
    }
  }

  function renderRows(): void {
    // Those waiting for a decision first, then the newest.
    const sorted = [...payments].sort(
      (a, b) =>
        Number(awaitsReview(b.payment)) - Number(awaitsReview(a.payment)) ||
        b.payment.created_at.localeCompare(a.payment.created_at),
    );
    const waiting = payments.filter((d) => awaitsReview(d.payment)).length;
    summary.textContent =
      `${payments.length} payment${payments.length === 1 ? "" : "s"}` + (waiting ? `, ${waiting} to review` : "");
    list.dataset.count = String(payments.length);
    empty.hidden = payments.length > 0;
    rows.update(
      sorted.map((d) => {
        const id = d.payment.id;
        return {
          key: id,
          version: JSON.stringify([
            d.payment.updated_at,
            d.payment.status,
            d.events.length,
            payers.get(d.payment.user_id)?.name ?? null,
            busy.has(id),
            rowErrors.get(id) ?? null,
            rejecting.has(id),
          ]),
          render: () => row(d),
        };
      }),
    );
  }

  async function act(paymentId: string, action: () => Promise<unknown>): Promise<void> {
    if (busy.has(paymentId)) return;
    busy.add(paymentId);
    rowErrors.delete(paymentId);
    renderRows();
    try {
      await action();
      rejecting.delete(paymentId);
    } catch (err) {
      rowErrors.set(paymentId, paymentError(err));
    } finally {
      busy.delete(paymentId);
    }
    renderRows();
    await reload();
  }

  function row(d: PaymentDetail): HTMLElement {
    const p = d.payment;
    const payer = payers.get(p.user_id);
    const name = payer?.name ?? store.displayName(p.user_id);
    const isBusy = busy.has(p.id);
    const li = h("li", {
      class: `payment-row status-${p.status}`,
      testid: "payment-row",
      dataset: { paymentId: p.id, userId: p.user_id, status: p.status, provider: p.provider, review: String(awaitsReview(p)) },
    });
    li.append(
      h(
        "div",
        { class: "payment-row-head" },
        h(
          "span",
          { class: "attendee-names" },
          userText(name, "payment-payer", "attendee-name"),
          payer?.handle ? h("span", { class: "muted handle" }, `@${payer.handle}`) : null,
        ),
        h("strong", { testid: "payment-amount", dataset: { amount: p.amount, currency: p.currency } }, formatAmount(p.amount, p.currency)),
        h("span", { class: "pill", testid: "payment-provider", dataset: { provider: p.provider } }, PROVIDER_LABEL[p.provider] ?? p.provider),
        p.test ? h("span", { class: "pill warn", testid: "payment-test" }, "TEST") : null,
        h(
          "span",
          { class: `pill payment-${p.status}`, testid: "payment-row-status", dataset: { status: p.status } },
          PAYMENT_STATUS_LABEL[p.status] ?? p.status,
        ),
      ),
    );
    if (p.reference) {
      li.append(h("div", { class: "payment-proof" }, h("span", { class: "muted" }, "Reference: "), userText(p.reference, "payment-reference")));
    }
    if (p.note) {
      li.append(h("div", { class: "payment-proof" }, h("span", { class: "muted" }, "Note: "), userText(p.note, "payment-note")));
    }
    if (p.failure_reason && (p.status === "failed" || p.status === "expired")) {
      li.append(h("div", { class: "error" }, "Reason: ", userText(p.failure_reason, "payment-row-failure")));
    }

    const tools = h("div", { class: "signup-buttons payment-tools" });
    if (awaitsReview(p) && p.status === "expired") {
      li.append(
        h(
          "p",
          { class: "muted", testid: "payment-late" },
          "Reviewed after the hold ran out: confirming gives the seat back if one is free, otherwise the payment is refunded.",
        ),
      );
    }
    if (awaitsReview(p)) {
      const reasonInput = rejecting.get(p.id);
      if (reasonInput) {
        tools.append(
          h(
            "form",
            {
              class: "inline-form",
              testid: "payment-reject-form",
              on: {
                submit: (ev) => {
                  ev.preventDefault();
                  void act(p.id, () => api.rejectPayment(p.id, reasonInput.value.trim()));
                },
              },
            },
            reasonInput,
            h("button", { class: "danger", testid: "payment-reject-submit", attrs: { type: "submit", disabled: isBusy } }, "Reject payment"),
            h(
              "button",
              {
                testid: "payment-reject-cancel",
                attrs: { type: "button" },
                on: {
                  click: () => {
                    rejecting.delete(p.id);
                    renderRows();
                  },
                },
              },
              "Back",
            ),
          ),
        );
      } else {
        tools.append(
          h(
            "button",
            {
              class: "primary",
              testid: "payment-confirm",
              attrs: { type: "button", disabled: isBusy },
              on: { click: () => void act(p.id, () => api.confirmPayment(p.id)) },
            },
            "Confirm received",
          ),
          h(
            "button",
            {
              class: "danger",
              testid: "payment-reject",
              attrs: { type: "button", disabled: isBusy },
              on: {
                click: () => {
                  const input = h("input", {
                    testid: "payment-reject-reason",
                    attrs: { maxlength: 500, placeholder: "Reason (shown to the payer, who has a normal hold left to pay again)", "aria-label": "Reason" },
                  });
                  rejecting.set(p.id, input);
                  renderRows();
                  input.focus();
                },
              },
            },
            "Reject…",
          ),
        );
      }
    } else if (p.provider === "manual" && p.status === "refund_pending") {
      tools.append(
        h("span", { class: "muted" }, "Pay the money back, then: "),
        h(
          "button",
          {
            class: "primary",
            testid: "payment-mark-refunded",
            attrs: { type: "button", disabled: isBusy },
            on: { click: () => void act(p.id, () => api.markRefunded(p.id)) },
          },
          "Mark refunded",
        ),
      );
    }
    if (isBusy) tools.append(h("span", { class: "muted", testid: "payment-busy" }, "…"));
    if (tools.childNodes.length) li.append(tools);
    li.append(h("p", { class: "error", testid: "payment-row-error" }, rowErrors.get(p.id) ?? ""));
    li.append(history(p.id, d.events));
    return li;
  }

  function history(paymentId: string, events: PaymentEvent[]): HTMLElement {
    const details = h(
      "details",
      { class: "payment-history", testid: "payment-events", dataset: { count: events.length } },
      h("summary", {}, `History (${events.length})`),
      h(
        "ol",
        {},
        ...[...events]
          .sort((a, b) => a.version - b.version)
          .map((e) =>
            h(
              "li",
              { testid: "payment-event", dataset: { status: e.status, reason: e.reason, version: e.version } },
              h("time", { class: "muted", attrs: { datetime: e.at } }, formatTime(e.at)),
              " ",
              h("span", { class: `pill payment-${e.status}` }, PAYMENT_STATUS_LABEL[e.status] ?? e.status),
              " ",
              EVENT_REASON_LABEL[e.reason] ?? e.reason,
              ...eventDetails(e),
            ),
          ),
      ),
    );
    details.open = openHistory.has(paymentId);
    details.addEventListener("toggle", () => {
      if (details.open) openHistory.add(paymentId);
      else openHistory.delete(paymentId);
    });
    return details;
  }

  return {
    el,
    reload,
    follow(stamp: string, cur: string | null): void {
      currency = cur;
      if (stamp === followed) return;
      followed = stamp;
      void reload();
    },
  };
}

/** What a ledger entry carries worth showing: a reference, a note, a failure reason. */
function eventDetails(e: PaymentEvent): Node[] {
  const out: Node[] = [];
  const text = (label: string, value: unknown) => {
    if (typeof value === "string" && value) out.push(document.createTextNode(` · ${label}: `), userText(value));
  };
  text("reference", e.data.reference);
  text("note", e.data.note);
  text("reason", e.data.failure_reason);
  return out;
}
