// The activity page (#/activity/<id>): your ticket QR at the top when you have a seat ("Checked
// in ✓" once scanned), details with who hosts and who is going (members only), your sign-up and
// its action ("You're hosting" for the organiser), the calendar link, and for the organiser (or
// the circle's owner/admins) the edit and check-in links, cancelling, and the attendee list.
// Everything follows the activity's live changes (card updates and notifications) without a reload.

import { activities, activityError } from "../activities";
import { api } from "../api";
import { formatTime, h, replaceChildren, safeHttpUrl, userText } from "../dom";
import { formatRange, formatWhen } from "../format";
import { activityHash, circleActivitiesHash, conversationHash } from "../router";
import { store } from "../store";
import type { Activity, Attendee, Circle, Signup } from "../types";
import { countsNodes, effectiveStatus, hostingPanel, isHost, placeNodes, priceNode, statusBadge } from "./activityCard";
import { goingNode, goingOf, organiserNode } from "./going";
import { paymentPanel } from "./paymentPanel";
import { paymentsReview } from "./paymentsReview";
import { captureReferral, signupHandled, wantsSignup } from "../referral";
import { referralsPanel } from "../referralView";
import { activityShareSheet } from "./shareSheet";
import { signUp, signupPanel } from "./signupPanel";
import { ticketView } from "./ticket";
import type { View } from "./view";

export function isOrganiser(activity: Activity, circle: Circle | null): boolean {
  return (
    activity.organiser_id === store.me?.id || circle?.my_role === "owner" || circle?.my_role === "admin"
  );
}

export function activityView(id: string): View {
  // A share page's "Sign up" (?signup=1&ref=…&ch=…): kept, then dropped from the address so a
  // reload does not sign up again someone who has since cancelled.
  if (window.location.hash.includes("?")) {
    captureReferral(window.location.hash);
    history.replaceState(history.state, "", activityHash(id));
  }
  const title = h("h1", { class: "activity-page-title" });
  const crumbs = h("div", { class: "crumbs" });
  const error = h("p", { class: "error", testid: "activity-page-error", attrs: { role: "alert" } });
  const details = h("div", { class: "activity-details", testid: "activity-details" });
  // Your sign-up: the panel is redrawn on every change, the payment panel updated in place.
  const signupSlot = h("div", { class: "signup-slot" });
  const pay = paymentPanel(id);
  const mine = h(
    "div",
    { class: "activity-section", testid: "activity-my-section" },
    h("h2", {}, "Your sign-up"),
    signupSlot,
    pay.el,
  );
  const ticketSlot = h("div", { class: "activity-section ticket-slot" });
  const organiserEl = h("div", { class: "activity-section organiser-tools", testid: "organiser-tools" });
  const share = activityShareSheet(id, () => activities.get(id).activity?.title ?? "activity");
  organiserEl.hidden = true;
  const el = h(
    "section",
    { class: "pane activity-pane", testid: "activity-view", dataset: { activityId: id } },
    crumbs,
    h("header", { class: "pane-header" }, title, share.el),
    error,
    ticketSlot, // first thing on a phone at the door
    details,
    mine,
    organiserEl,
  );

  let circle: Circle | null = null;
  let circleLoading = false;
  let ticket: (View & { signupStatus: string }) | null = null;
  const attendeesList = attendeesView(id);
  const review = paymentsReview(id);
  let cancelling = false;

  function loadCircle(circleId: string): void {
    if (circle || circleLoading) return;
    circleLoading = true;
    api
      .getCircle(circleId)
      .then(({ circle: c }) => {
        circle = c;
        draw();
      })
      .catch((err) => console.warn("circle of activity", err));
  }

  function draw(): void {
    activities.ensure(id);
    const entry = activities.get(id);
    const a = entry.activity;
    error.textContent = entry.error ?? "";
    if (!a) {
      replaceChildren(title, entry.loaded ? "Activity" : "Loading…");
      return;
    }
    loadCircle(a.circle_id);
    const status = effectiveStatus(a.status, a.signup_deadline);
    el.dataset.version = String(a.version);
    el.dataset.status = status;
    replaceChildren(title, userText(a.title, "activity-page-title"), " ", statusBadge(status), " ", priceNode(a.price));
    replaceChildren(
      crumbs,
      circle
        ? h(
            "a",
            { testid: "activity-back-to-circle", attrs: { href: conversationHash(circle.conversation_id) } },
            "← ",
            userText(circle.name),
          )
        : null,
      circle ? h("a", { attrs: { href: circleActivitiesHash(circle.id) } }, "All activities") : null,
    );

    const calendar = safeHttpUrl(a.calendar_url);
    const going = goingOf(id, a.version);
    replaceChildren(
      details,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "When"),
        h("dd", { testid: "activity-time" }, h("time", { attrs: { datetime: a.starts_at } }, formatRange(a.starts_at, a.ends_at))),
        h("dt", {}, "Where"),
        h("dd", { testid: "activity-place" }, placeNodes(a.location)),
        h("dt", {}, "Sign-ups close"),
        h("dd", { testid: "activity-deadline" }, formatWhen(a.signup_deadline)),
        h("dt", {}, "Category"),
        h("dd", {}, h("span", { class: "pill category" }, a.category), ...a.tags.map((t) => h("span", { class: "pill tag" }, t))),
      ),
      organiserNode(going, null),
      countsNodes(a),
      status === "cancelled" ? null : goingNode(going, false),
      a.status === "cancelled" && a.cancel_reason
        ? h("p", { class: "error", testid: "activity-cancel-reason" }, "Cancelled: ", userText(a.cancel_reason))
        : null,
      a.description ? h("div", { class: "activity-description", testid: "activity-description" }, userText(a.description)) : null,
      calendar
        ? h(
            "a",
            { class: "button", testid: "activity-calendar", attrs: { href: calendar, rel: "noopener", download: "activity.ics" } },
            "Add to calendar (.ics)",
          )
        : null,
    );

    replaceChildren(signupSlot, isHost(a.organiser_id) ? hostingPanel(id, false) : signupPanel(id, { ...a, status }, entry));
    signUpIfAsked(a, status, entry.signup);
    pay.update(entry, status === "cancelled");
    drawTicket(entry.signup);
    share.seatChanged(entry.signup?.status === "confirmed" || entry.signup?.status === "attended");
    share.setPrivate(circle?.visibility === "private");
    drawOrganiser(a);
  }

  /** The visitor came from a share page's "Sign up": do it once, when it can be done. */
  function signUpIfAsked(a: Activity, status: string, signup: Signup | null): void {
    if (!wantsSignup(id) || !activities.get(id).loaded || store.conn !== "online") return;
    signupHandled(id);
    const free = !signup || signup.status === "cancelled";
    if (free && status !== "cancelled" && status !== "closed" && !isHost(a.organiser_id)) void signUp(id);
  }

  function drawTicket(signup: Signup | null): void {
    const seated = signup && (signup.status === "confirmed" || signup.status === "attended") ? signup.status : "";
    if (ticket && ticket.signupStatus !== seated) {
      ticket.dispose?.();
      ticket = null;
      replaceChildren(ticketSlot);
    }
    if (signup && seated && !ticket) {
      ticket = Object.assign(ticketView(id, signup), { signupStatus: seated });
      replaceChildren(ticketSlot, ticket.el);
    }
    ticketSlot.hidden = !ticket;
  }

  // The organiser's tools are built once and only shown or hidden on redraws, so a live update
  // never wipes a reason being typed.
  const reason = h("input", {
    testid: "activity-cancel-reason-input",
    attrs: { maxlength: 500, placeholder: "Reason (optional)", "aria-label": "Reason" },
  });
  const cancelError = h("span", { class: "error", testid: "activity-cancel-error" });
  const editLink = h("a", { class: "button", testid: "activity-edit", attrs: { href: activityHash(id, "edit") } }, "Edit");
  const cancelButton = h(
    "button",
    {
      class: "danger",
      testid: "activity-cancel-activity",
      attrs: { type: "button" },
      on: {
        click: () => {
          cancelling = true;
          draw();
          reason.focus();
        },
      },
    },
    "Cancel activity…",
  );
  const cancelForm = h(
    "form",
    {
      class: "inline-form",
      testid: "activity-cancel-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          cancelError.textContent = "";
          try {
            const { activity } = await api.cancelActivity(id, reason.value.trim());
            activities.applyActivity(activity);
            cancelling = false;
            activities.refresh(id);
          } catch (err) {
            cancelError.textContent = activityError(err);
          }
        },
      },
    },
    reason,
    h("button", { class: "danger", testid: "activity-cancel-confirm", attrs: { type: "submit" } }, "Cancel the activity"),
    h(
      "button",
      {
        attrs: { type: "button" },
        on: {
          click: () => {
            cancelling = false;
            draw();
          },
        },
      },
      "Keep it",
    ),
    cancelError,
  );
  organiserEl.append(
    h("h2", {}, "Organiser"),
    h(
      "div",
      { class: "tool-buttons" },
      editLink,
      h("a", { class: "button", testid: "activity-checkin-link", attrs: { href: activityHash(id, "checkin") } }, "Check-in"),
      h("a", { class: "button", testid: "activity-report-link", attrs: { href: activityHash(id, "report") } }, "Report"),
      cancelButton,
    ),
    cancelForm,
    attendeesList.el,
    review.el,
  );
  let referrals: ReturnType<typeof referralsPanel> | null = null;
  let referralsVersion = -1;

  function drawOrganiser(a: Activity): void {
    const allowed = isOrganiser(a, circle);
    organiserEl.hidden = !allowed;
    if (!allowed) return;
    const cancelled = a.status === "cancelled";
    editLink.hidden = cancelled;
    cancelButton.hidden = cancelled || cancelling;
    cancelForm.hidden = cancelled || !cancelling;
    attendeesList.follow(a.version);
    // Sign-ups credited to share links: loaded when first shown, again when the activity moves.
    if (!referrals) {
      referrals = referralsPanel("activity", id);
      organiserEl.append(referrals.el);
    } else if (a.version !== referralsVersion) void referrals.reload();
    referralsVersion = a.version;
    // Payments, for a paid activity. Nothing is pushed to the organiser when a reference
    // arrives, so the list also reloads on notices, payment cards and reconnects.
    const paid = Boolean(a.price && a.price.amount > 0);
    review.el.hidden = !paid;
    if (paid) {
      const stamp = [a.version, store.activityNotices.get(id) ?? 0, store.connects].join("|");
      review.follow(stamp, a.price?.currency ?? null);
    }
  }

  const unsubs = [store.subscribe(`activity:${id}`, draw), store.subscribe("conn", draw)];
  draw();
  return {
    el,
    dispose: () => {
      unsubs.forEach((u) => u());
      ticket?.dispose?.();
    },
  };
}


// ---- the attendee list (organiser) ----------------------------------------------------------

const SIGNUP_LABEL: Record<string, string> = {
  confirmed: "confirmed",
  waitlisted: "waitlisted",
  offered: "offered a seat",
  pending_payment: "payment pending",
  cancelled: "cancelled",
  attended: "checked in",
};

const STATUS_ORDER: Record<string, number> = {
  attended: 0,
  confirmed: 1,
  pending_payment: 2,
  offered: 3,
  waitlisted: 4,
  cancelled: 5,
};

export function attendeesView(id: string): { el: HTMLElement; follow(version: number): void; reload(): Promise<void> } {
  const list = h("ul", { class: "attendee-list", testid: "attendee-list" });
  const summary = h("p", { class: "muted", testid: "attendee-summary" });
  const error = h("p", { class: "error", testid: "attendee-error" });
  const el = h("div", { class: "attendees" }, h("h3", {}, "Attendees"), summary, error, list);
  let loadedVersion = -1;
  let wanted = -1;
  let running = false;

  async function reload(): Promise<void> {
    if (running) return;
    running = true;
    const target = wanted;
    try {
      const { signups } = await api.attendees(id);
      render(signups);
      loadedVersion = target;
      error.textContent = "";
    } catch (err) {
      error.textContent = activityError(err);
      loadedVersion = target;
    } finally {
      running = false;
    }
    if (wanted > loadedVersion) void reload();
  }

  function render(signups: Attendee[]): void {
    const sorted = [...signups].sort(
      (a, b) =>
        (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
        (a.waitlist_position ?? 0) - (b.waitlist_position ?? 0) ||
        a.created_at.localeCompare(b.created_at),
    );
    const active = signups.filter((s) => s.status !== "cancelled");
    const seated = signups.filter((s) => s.status === "confirmed" || s.status === "attended").length;
    const checkedIn = signups.filter((s) => s.status === "attended").length;
    const pending = active.filter((s) => s.reconfirm_pending).length;
    summary.textContent =
      `${seated} confirmed, ${checkedIn} checked in` + (pending ? `, ${pending} yet to re-confirm` : "");
    list.dataset.count = String(active.length);
    replaceChildren(list, ...sorted.map(attendeeItem));
    if (!signups.length) list.append(h("li", { class: "muted" }, "Nobody has signed up yet."));
  }

  function attendeeItem(s: Attendee): HTMLElement {
    store.names.set(s.user_id, s.display_name);
    let reconfirm: HTMLElement | null = null;
    if (s.status !== "cancelled" && s.status !== "attended") {
      if (s.reconfirm_pending) {
        reconfirm = h("span", { class: "pill warn", testid: "attendee-reconfirm", dataset: { state: "pending" } }, "not re-confirmed yet");
      } else if (s.reconfirmed_at) {
        reconfirm = h("span", { class: "pill ok", testid: "attendee-reconfirm", dataset: { state: "reconfirmed" } }, "re-confirmed");
      }
    }
    return h(
      "li",
      {
        class: `attendee status-${s.status}`,
        testid: "attendee",
        dataset: {
          userId: s.user_id,
          status: s.status,
          reconfirmPending: String(Boolean(s.reconfirm_pending)),
          reconfirmed: String(Boolean(s.reconfirmed_at) && !s.reconfirm_pending),
          checkedIn: String(Boolean(s.checked_in_at)),
        },
      },
      h(
        "span",
        { class: "attendee-names" },
        userText(s.display_name, "attendee-name", "attendee-name"),
        h("span", { class: "muted handle" }, `@${s.handle}`),
      ),
      h("span", { class: `pill signup-${s.status}`, testid: "attendee-status" }, SIGNUP_LABEL[s.status] ?? s.status),
      s.status === "waitlisted" && s.waitlist_position
        ? h("span", { class: "muted", testid: "attendee-waitlist-position" }, `#${s.waitlist_position}`)
        : null,
      reconfirm,
      s.checked_in_at
        ? h("span", { class: "muted", testid: "attendee-checked-in" }, `checked in ${formatTime(s.checked_in_at)}`)
        : null,
    );
  }

  return {
    el,
    reload,
    /** Reload when the activity moved past the version the list was loaded for. */
    follow(version: number): void {
      wanted = Math.max(wanted, version);
      if (wanted > loadedVersion) void reload();
    },
  };
}
