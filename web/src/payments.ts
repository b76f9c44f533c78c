// The payer's side of payments (PROTOCOL.md section 4): per activity, the payment that pays for
// your held seat (the one your sign-up's `payment_id` names, or the one you just started), and
// the actions on it: start a sandbox (test card) or manual (bank transfer / cash) payment, submit
// the transfer reference, complete a sandbox checkout (the payer's own session only: the server
// refuses anyone else).
//
// Which providers a payer may choose is the server's setting (`GET /api/payments/providers`);
// the sandbox is offered only when the server enables it.
//
// A payment is fetched (`GET /api/payments/{id}`) the first time a view shows it and again
// whenever it may be stale: the sign-up changed, a newer activity card version or a
// notification about the activity arrived (a payment card counts as one), or the socket
// reconnected. An organiser's rejection sends nothing to the payer, so views also poll while a
// manual payment waits for review. Views redraw on the store topic `activity:<id>`.

import { activityError } from "./activities";
import { ApiError, api } from "./api";
import { navigate, payHash } from "./router";
import { store } from "./store";
import type { Payment, PaymentEvent, PaymentProvider, Signup } from "./types";

export interface MyPaymentEntry {
  payment: Payment | null;
  events: PaymentEvent[];
  /** The id of a payment started from this page, before the sign-up names it. */
  started: string | null;
  /** What the held copy was fetched for (see `stamp`); null means fetch again. */
  fetchedFor: string | null;
  inFlight: boolean;
  /** An action (start, proof) is waiting for its answer. */
  busy: boolean;
  error: string | null;
}

/** A sentence for an error of a payment call. */
export function paymentError(err: unknown): string {
  if (err instanceof ApiError && err.code === "not_found") {
    return "This payment does not exist or is not visible to you.";
  }
  if (err instanceof ApiError && err.code === "forbidden") return "You are not allowed to do that.";
  const reason = err instanceof ApiError ? err.details?.reason : undefined;
  if (reason === "not_payable") return "This payment can no longer be paid (it was completed or has expired).";
  if (reason === "payment_closed") return "This payment was already decided. Start a new one to pay again.";
  if (reason === "provider_disabled") return "This payment method is not available on this server.";
  return activityError(err);
}

function later(a: string, b: string): boolean {
  return Date.parse(a) >= Date.parse(b);
}

export class MyPayments {
  private readonly entries = new Map<string, MyPaymentEntry>();
  /** The providers the server enables (null: not known yet). */
  private enabled: PaymentProvider[] | null = null;
  private enabledLoading = false;

  reset(): void {
    this.entries.clear();
    this.enabled = null;
  }

  /** Whether the server takes payments through ``provider``; false until known (asked once). */
  offers(provider: PaymentProvider): boolean {
    if (this.enabled === null && !this.enabledLoading) {
      this.enabledLoading = true;
      api
        .paymentProviders()
        .then(({ providers }) => (this.enabled = providers))
        .catch(() => (this.enabled = ["manual"]))
        .finally(() => {
          this.enabledLoading = false;
          for (const activityId of this.entries.keys()) store.notify(`activity:${activityId}`);
        });
    }
    return this.enabled?.includes(provider) ?? false;
  }

  /** The page was restored from the back/forward cache: nothing is in flight any more. */
  wake(): void {
    for (const [activityId, e] of this.entries) {
      e.busy = false;
      e.fetchedFor = null;
      store.notify(`activity:${activityId}`);
    }
  }

  get(activityId: string): MyPaymentEntry {
    let e = this.entries.get(activityId);
    if (!e) {
      e = { payment: null, events: [], started: null, fetchedFor: null, inFlight: false, busy: false, error: null };
      this.entries.set(activityId, e);
    }
    return e;
  }

  /** The payment that belongs to this sign-up, if it is known. */
  current(activityId: string, signup: Signup | null): Payment | null {
    const p = this.get(activityId).payment;
    if (!p || !signup) return null;
    if (p.id === signup.payment_id || p.id === this.get(activityId).started) return p;
    return null;
  }

  private stamp(activityId: string, signup: Signup): string {
    return [
      signup.payment_id,
      signup.status,
      signup.updated_at,
      store.activityVersions.get(activityId) ?? -1,
      store.activityNotices.get(activityId) ?? 0,
      store.connects,
    ].join("|");
  }

  /** Fetch the sign-up's payment if it is missing or may be stale. */
  ensure(activityId: string, signup: Signup | null): void {
    const e = this.get(activityId);
    const id = signup?.payment_id;
    if (!signup || !id || e.inFlight) return;
    const stamp = this.stamp(activityId, signup);
    if (e.fetchedFor === stamp) return;
    void this.fetch(activityId, id, stamp);
  }

  /** Fetch again (e.g. "check status", or the poll while a transfer waits for review). */
  refresh(activityId: string, signup: Signup | null): void {
    this.get(activityId).fetchedFor = null;
    this.ensure(activityId, signup);
  }

  private async fetch(activityId: string, paymentId: string, stamp: string): Promise<void> {
    const e = this.get(activityId);
    e.inFlight = true;
    try {
      const data = await api.getPayment(paymentId);
      this.apply(activityId, data.payment, data.events);
      e.error = null;
    } catch (err) {
      e.error = paymentError(err);
    } finally {
      e.inFlight = false;
      e.fetchedFor = stamp;
    }
    store.notify(`activity:${activityId}`);
  }

  /** A payment from any answer; an older copy (or an older payment) never replaces a newer one. */
  apply(activityId: string, p: Payment, events?: PaymentEvent[]): void {
    const e = this.get(activityId);
    const held = e.payment;
    const take =
      !held ||
      (held.id === p.id ? later(p.updated_at, held.updated_at) : later(p.created_at, held.created_at));
    if (!take) return;
    if (!held || held.id !== p.id) e.events = [];
    e.payment = p;
    if (events) e.events = events;
  }

  /**
   * Start paying for the held seat. A sandbox payment goes on to its checkout page in this app
   * (`#/pay/<id>`, which comes back to the activity page); a manual one waits for the transfer
   * reference.
   */
  async start(activityId: string, provider: PaymentProvider): Promise<boolean> {
    const e = this.get(activityId);
    if (e.busy) return false;
    e.busy = true;
    e.error = null;
    store.notify(`activity:${activityId}`);
    try {
      const { payment } = await api.createPayment(activityId, provider);
      e.started = payment.id;
      this.apply(activityId, payment);
      if (provider === "sandbox") navigate(payHash(payment.id));
      return true;
    } catch (err) {
      e.error = paymentError(err);
      e.fetchedFor = null; // the refusal may mean the hold is gone: look again
      return false;
    } finally {
      e.busy = false;
      store.notify(`activity:${activityId}`);
    }
  }

  /** Press Pay on the sandbox checkout: the server completes it for the payer only. */
  async completeSandbox(payment: Payment): Promise<Payment> {
    const { payment: done } = await api.completeSandbox(payment.id);
    this.apply(payment.activity_id, done);
    this.get(payment.activity_id).fetchedFor = null; // fetch the ledger too
    store.notify(`activity:${payment.activity_id}`);
    return done;
  }

  /** Submit (or correct) the bank transfer / cash reference of a manual payment. */
  async submitProof(activityId: string, paymentId: string, reference: string, note: string): Promise<boolean> {
    const e = this.get(activityId);
    if (e.busy) return false;
    e.busy = true;
    e.error = null;
    store.notify(`activity:${activityId}`);
    try {
      const { payment } = await api.submitProof(paymentId, reference, note || undefined);
      this.apply(activityId, payment);
      e.fetchedFor = null; // fetch the ledger too
      return true;
    } catch (err) {
      e.error = paymentError(err);
      return false;
    } finally {
      e.busy = false;
      store.notify(`activity:${activityId}`);
    }
  }
}

export const myPayments = new MyPayments();

// Coming back to this page with the browser's Back button may restore it as it was left (the
// back/forward cache), buttons disabled: enable them and look again.
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted) myPayments.wake();
});

// ---- words ----------------------------------------------------------------------------------

export const PAYMENT_STATUS_LABEL: Record<string, string> = {
  pending: "Pending",
  paid: "Paid",
  refund_pending: "Refund pending",
  refunded: "Refunded",
  failed: "Failed",
  expired: "Expired",
};

export const PROVIDER_LABEL: Record<string, string> = {
  sandbox: "Test card (sandbox)",
  manual: "Bank transfer / cash",
};

/** The ledger's `reason` of a state change, in words. */
export const EVENT_REASON_LABEL: Record<string, string> = {
  created: "started",
  proof_submitted: "reference submitted",
  manual_confirmed: "confirmed by the organiser",
  manual_rejected: "rejected by the organiser",
  manual_refunded: "refund marked done by the organiser",
  webhook: "reported by the provider",
  amount_mismatch: "provider reported a different amount (nothing confirmed)",
  replaced: "replaced by another payment",
  hold_expired: "the hold on the seat expired",
  seat_gone: "seat no longer held: refunding",
  activity_cancelled: "activity cancelled: refunding",
  attendee_cancelled: "attendee cancelled: refunding",
};
