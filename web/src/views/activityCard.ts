// The activity card (`card.type == "activity"`) in a circle's chat: what, when, where, who hosts
// and who is going, seats left, waitlist, status, price, and your own sign-up with its one right
// action (for the organiser: "You're hosting · Manage"). The counts come from the card (updated
// in place by `message:updated`); your sign-up from the activity state, which refetches it when
// the card's version moves or a notification about it arrives. A cancelled activity shows no
// seats left.

import { activities } from "../activities";
import { registerCard } from "../cards";
import { h, replaceChildren, userText } from "../dom";
import { formatMoney, formatRange } from "../format";
import { activityHash } from "../router";
import { store } from "../store";
import type { ActivityCard, ActivityStatus, Card, Location, Message, Price } from "../types";
import { goingNode, goingOf, organiserNode } from "./going";
import { bindLive } from "./live";
import { cardPaymentPanel } from "./paymentPanel";
import { myStatusKey, seatsLeft, signupPanel, type SeatInfo } from "./signupPanel";

const STATUS_LABEL: Record<ActivityStatus, string> = {
  open: "Open",
  full: "Full",
  closed: "Closed",
  cancelled: "Cancelled",
};

export function statusBadge(status: ActivityStatus, testid = "activity-status"): HTMLElement {
  return h("span", { class: `pill status-${status}`, testid, dataset: { status } }, STATUS_LABEL[status] ?? status);
}

export function placeNodes(location: Location): HTMLElement {
  return h(
    "span",
    { class: "place" },
    userText(location.name, "activity-place-name"),
    location.address ? h("span", { class: "muted" }, " · ", userText(location.address, "activity-place-address")) : null,
  );
}

export function priceNode(price: Price | null): HTMLElement | null {
  if (!price) return null;
  return h("span", { class: "pill price", testid: "activity-price" }, formatMoney(price.amount, price.currency));
}

/** Seats left, going, waitlist: the live counts of a card or an activity (none once cancelled). */
export function countsNodes(info: SeatInfo): HTMLElement {
  if (info.status === "cancelled") {
    return h(
      "div",
      { class: "activity-counts" },
      h("span", { class: "seats none", testid: "activity-seats-left", dataset: { count: 0 } }, "Cancelled: no seats"),
    );
  }
  const left = seatsLeft(info);
  const going = info.confirmed_count;
  return h(
    "div",
    { class: "activity-counts" },
    h(
      "span",
      { class: `seats${left === 0 ? " none" : ""}`, testid: "activity-seats-left", dataset: { count: left } },
      left === 0 ? "No seats left" : left === 1 ? "1 seat left" : `${left} seats left`,
    ),
    h("span", { class: "muted", testid: "activity-confirmed", dataset: { count: going } }, `${going}/${info.capacity} going`),
    info.held_count > 0
      ? h("span", { class: "muted", testid: "activity-held", dataset: { count: info.held_count } }, `${info.held_count} held`)
      : null,
    h(
      "span",
      { class: "muted", testid: "activity-waitlist", dataset: { count: info.waitlist_count } },
      `${info.waitlist_count} on the waitlist`,
    ),
  );
}

/**
 * The card's status is computed by the server when the card last changed; sign-ups also close
 * by the clock at the deadline (which only the fetched activity carries).
 */
export function effectiveStatus(status: ActivityStatus, deadline: string | null | undefined): ActivityStatus {
  if ((status === "open" || status === "full") && deadline && Date.now() >= Date.parse(deadline)) return "closed";
  return status;
}

/**
 * The organiser's own sign-up panel: they host, so no "Sign up" or "Join waitlist". "Manage"
 * opens the activity page (on the page itself the organiser's tools are right below).
 */
export function hostingPanel(id: string, manage = true): HTMLElement {
  return h(
    "div",
    { class: "signup-panel my-hosting", testid: "activity-mine", dataset: { myStatus: "hosting" } },
    h(
      "div",
      { class: "my-status", testid: "activity-my-status" },
      h("strong", {}, "You're hosting"),
      manage ? " · " : null,
      manage ? h("a", { testid: "activity-manage", attrs: { href: activityHash(id) } }, "Manage") : null,
    ),
  );
}

/** You organise this activity (the circle's other admins still sign up like anyone). */
export function isHost(organiserId: string | null | undefined): boolean {
  return Boolean(organiserId) && organiserId === store.me?.id;
}

function asActivityCard(card: Card): ActivityCard | null {
  const ok =
    typeof card.activity_id === "string" &&
    typeof card.title === "string" &&
    typeof card.capacity === "number" &&
    typeof card.starts_at === "string" &&
    typeof card.location === "object" &&
    card.location !== null;
  return ok ? (card as unknown as ActivityCard) : null;
}

function activityCardView(raw: Card, message: Message): HTMLElement {
  const card = asActivityCard(raw);
  if (!card) return h("div", { class: "muted", testid: "activity-card-invalid" }, "Activity unavailable");
  const c: ActivityCard = card;
  const id = c.activity_id;
  const el = h("div", {
    class: `activity-card status-${c.status}`,
    testid: "activity-card",
    dataset: { activityId: id, version: c.version, status: c.status },
  });
  // Redrawn on every change; the payment panel after it is updated in place and outlives the
  // card (it may hold a reference being typed), the Details link never changes.
  const body = h("div", { class: "activity-card-body" });
  el.append(body);
  const pay = cardPaymentPanel(id, el);
  el.append(h("a", { class: "activity-more", testid: "activity-open", attrs: { href: activityHash(id) } }, "Details"));

  function draw(): void {
    activities.ensure(id);
    const entry = activities.get(id);
    const status = effectiveStatus(c.status, entry.activity?.signup_deadline);
    const info = { ...c, status };
    // The card is posted by the organiser, so its sender tells before the activity is fetched.
    const hosting = isHost(entry.activity?.organiser_id ?? message.sender_id);
    const going = goingOf(id, c.version);
    el.dataset.seatsLeft = String(status === "cancelled" ? 0 : seatsLeft(c));
    el.dataset.myStatus = hosting ? "hosting" : myStatusKey(entry);
    el.dataset.status = status;
    replaceChildren(
      body,
      h(
        "div",
        { class: "activity-head" },
        h("a", { class: "activity-title", attrs: { href: activityHash(id) } }, userText(c.title, "activity-title")),
        statusBadge(status),
        priceNode(c.price),
      ),
      h(
        "div",
        { class: "activity-when", testid: "activity-time" },
        h("time", { attrs: { datetime: c.starts_at } }, formatRange(c.starts_at, c.ends_at)),
      ),
      h("div", { class: "activity-where", testid: "activity-place" }, placeNodes(c.location)),
      organiserNode(going, message.sender_name),
      countsNodes(c),
      status === "cancelled" ? null : goingNode(going, true),
      hosting ? hostingPanel(id) : signupPanel(id, info, entry),
    );
    pay.update(entry, status === "cancelled");
  }

  draw();
  bindLive(el, [`activity:${id}`, "conn"], draw);
  return el;
}

registerCard("activity", activityCardView);
