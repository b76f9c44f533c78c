// Client state of activities: per activity, the last `GET /api/activities/{id}` answer (the
// activity and the user's own sign-up) and the sign-up actions over Socket.IO.
//
// Card counts come straight from the card messages (store.mergeMessage). What a card does not
// carry (your own sign-up, the description, the deadline) is fetched here, and fetched again
// whenever something says it is stale: a newer card version (`message:updated`), a
// notification about the activity, or a reconnect. Views call `ensure(id)` whenever they draw
// and redraw on the store topic `activity:<id>`.

import { ApiError, api } from "./api";
import { chat } from "./chat";
import { SocketError } from "./socket";
import { store } from "./store";
import type { Activity, Signup } from "./types";

interface Seen {
  version: number;
  notices: number;
  connects: number;
}

export interface ActivityEntry {
  activity: Activity | null;
  /** Your sign-up; null when you never signed up (a cancelled one is kept, status cancelled). */
  signup: Signup | null;
  /** The first fetch has answered (successfully or not). */
  loaded: boolean;
  error: string | null;
  /** A sign-up action is waiting for its ack. */
  busy: boolean;
  actionError: string | null;
  seen: Seen | null;
  inFlight: boolean;
  again: boolean;
}

/** Readable text for the `conflict` reasons of docs/protocol.md. */
export const REASONS: Record<string, string> = {
  activity_full: "This activity is full.",
  activity_cancelled: "This activity was cancelled.",
  signups_closed: "Sign-ups are closed.",
  not_signed_up: "You have no active sign-up.",
  no_offer: "There is no open offer for you.",
  offer_expired: "The offer has expired.",
  capacity_below_taken: "The capacity cannot go below the seats already taken.",
  ends_before_start: "The end must be after the start.",
  deadline_after_start: "The sign-up deadline must not be after the start.",
  price_locked: "The price cannot change once someone has paid.",
  not_confirmed: "This person has no confirmed seat.",
  already_checked_in: "Already checked in.",
  invalid_code: "This code is not valid.",
  wrong_activity: "This ticket is for another activity.",
  expired: "This code has expired. Ask for a fresh one.",
  no_hold: "There is no held seat to pay for.",
  hold_expired: "The hold on your seat expired before the payment.",
  wrong_provider: "That is not possible for this kind of payment.",
};

export function errorReason(err: unknown): string | null {
  if (err instanceof ApiError || err instanceof SocketError) {
    const reason = err.details?.reason;
    return typeof reason === "string" ? reason : null;
  }
  return null;
}

/** A sentence for an error of an activity call, naming the conflict reason readably. */
export function activityError(err: unknown): string {
  const reason = errorReason(err);
  if (reason && REASONS[reason]) return REASONS[reason];
  if (err instanceof ApiError || err instanceof SocketError) {
    const fields = err.details?.fields;
    if (err.code === "invalid" && fields && typeof fields === "object") {
      return `${err.message} (${Object.keys(fields).join(", ")})`;
    }
    if (err.code === "not_found") return "This activity does not exist or is not visible to you.";
    if (err.code === "forbidden") return "Only the organiser can do that.";
    return reason ? `${err.message} (${reason})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function newer(a: string | null | undefined, b: string | null | undefined): boolean {
  return Date.parse(a ?? "") >= Date.parse(b ?? "");
}

export class Activities {
  private readonly entries = new Map<string, ActivityEntry>();

  reset(): void {
    this.entries.clear();
  }

  get(id: string): ActivityEntry {
    let e = this.entries.get(id);
    if (!e) {
      e = {
        activity: null,
        signup: null,
        loaded: false,
        error: null,
        busy: false,
        actionError: null,
        seen: null,
        inFlight: false,
        again: false,
      };
      this.entries.set(id, e);
    }
    return e;
  }

  private current(id: string): Seen {
    return {
      version: store.activityVersions.get(id) ?? -1,
      notices: store.activityNotices.get(id) ?? 0,
      connects: store.connects,
    };
  }

  isStale(id: string): boolean {
    const e = this.get(id);
    if (!e.seen) return true;
    const now = this.current(id);
    return now.version > e.seen.version || now.notices > e.seen.notices || now.connects > e.seen.connects;
  }

  /** Fetch the activity and your sign-up if what is held is missing or stale. */
  ensure(id: string): void {
    const e = this.get(id);
    if (e.inFlight) {
      if (this.isStale(id)) e.again = true;
      return;
    }
    if (this.isStale(id)) void this.fetch(id);
  }

  /** Fetch again whatever is held (e.g. after a REST change made by this client). */
  refresh(id: string): void {
    const e = this.get(id);
    e.seen = null;
    this.ensure(id);
  }

  private async fetch(id: string): Promise<void> {
    const e = this.get(id);
    const before = this.current(id);
    e.inFlight = true;
    e.again = false;
    try {
      const data = await api.getActivity(id);
      this.applyActivity(data.activity);
      if (data.my_signup) this.applySignup(id, data.my_signup, false);
      // The answer is at least as new as every card version seen before asking.
      e.seen = { ...before, version: Math.max(before.version, data.activity.version) };
      e.error = null;
    } catch (err) {
      e.seen = before; // do not retry until something changes
      e.error = activityError(err);
    } finally {
      e.inFlight = false;
      e.loaded = true;
    }
    store.notify(`activity:${id}`);
    if (e.again || this.isStale(id)) this.ensure(id);
  }

  /** An activity from any answer (GET, PATCH, cancel, lists); never replaced by an older one. */
  applyActivity(activity: Activity): void {
    const e = this.get(activity.id);
    if (!e.activity || activity.version >= e.activity.version) e.activity = activity;
  }

  /** Your sign-up from an ack or a fetch; an older copy never replaces a newer one. */
  applySignup(id: string, signup: Signup, announce = true): void {
    const e = this.get(id);
    if (!e.signup || newer(signup.updated_at, e.signup.updated_at)) e.signup = signup;
    if (announce) store.notify(`activity:${id}`);
  }

  /** Run a sign-up event (`activity:signup`, `activity:cancel`, …) and keep its answer. */
  async act(id: string, event: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    const e = this.get(id);
    if (e.busy) return false;
    e.busy = true;
    e.actionError = null;
    store.notify(`activity:${id}`);
    let ok = false;
    try {
      const data = await chat.request<{ signup: Signup }>(event, { activity_id: id, ...extra });
      this.applySignup(id, data.signup, false);
      ok = true;
    } catch (err) {
      e.actionError = activityError(err);
      // The refusal may mean what is shown is out of date (e.g. the offer expired).
      e.seen = null;
    } finally {
      e.busy = false;
    }
    store.notify(`activity:${id}`);
    this.ensure(id);
    return ok;
  }

  signup(id: string): Promise<boolean> {
    return this.act(id, "activity:signup");
  }

  cancel(id: string): Promise<boolean> {
    return this.act(id, "activity:cancel");
  }

  acceptOffer(id: string): Promise<boolean> {
    return this.act(id, "activity:accept_offer");
  }

  declineOffer(id: string): Promise<boolean> {
    return this.act(id, "activity:decline_offer");
  }

  reconfirm(id: string, going: boolean): Promise<boolean> {
    return this.act(id, "activity:reconfirm", { going });
  }
}

export const activities = new Activities();
