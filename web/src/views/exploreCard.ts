// An activity of the Explore page (a discovery item): what, the circle (with its Follow
// button), when, where (and how far), seats left, price, who you know going and, in "for you"
// and "popular", why it is shown. Everything comes from the item the server sent.

import { describeError } from "../api";
import { distanceText, knownGoingText, seatsText, type DiscoveryItem } from "../discover";
import { following, setFollowing } from "../discoverApi";
import { h, replaceChildren, userText } from "../dom";
import { formatMoney, formatRange } from "../format";
import { activityHash, circlePageHash } from "../router";

/**
 * Which circles the reader follows, shared by every Follow button of the page, so following a
 * circle from one card turns all of that circle's buttons to "Following".
 */
export class FollowState {
  private readonly ids = new Set<string>();
  private readonly root: HTMLElement;
  loaded = false;

  constructor(root: HTMLElement) {
    this.root = root;
  }

  async load(): Promise<void> {
    const { following: list } = await following();
    this.ids.clear();
    for (const f of list) this.ids.add(f.circle.id);
    this.loaded = true;
    this.redraw();
  }

  has(circleId: string): boolean {
    return this.ids.has(circleId);
  }

  async toggle(circleId: string): Promise<void> {
    const out = await setFollowing(circleId, !this.ids.has(circleId));
    if (out.following) this.ids.add(circleId);
    else this.ids.delete(circleId);
    this.redraw();
  }

  button(circleId: string): HTMLButtonElement {
    const b = h("button", {
      class: "follow-button",
      testid: "explore-follow",
      dataset: { circleId },
      attrs: { type: "button" },
      on: {
        click: async () => {
          b.disabled = true;
          const card = b.closest<HTMLElement>("[data-testid=explore-item]");
          const error = card?.querySelector<HTMLElement>("[data-testid=explore-item-error]");
          try {
            await this.toggle(circleId);
            if (error) error.textContent = "";
          } catch (err) {
            if (error) error.textContent = describeError(err);
          } finally {
            b.disabled = false;
          }
        },
      },
    });
    this.paint(b);
    return b;
  }

  private paint(b: HTMLButtonElement): void {
    const on = this.ids.has(b.dataset.circleId ?? "");
    b.textContent = on ? "Following ✓" : "Follow";
    b.dataset.following = String(on);
    b.setAttribute("aria-pressed", String(on));
  }

  private redraw(): void {
    for (const b of this.root.querySelectorAll<HTMLButtonElement>("button[data-testid=explore-follow]")) this.paint(b);
  }
}

export function exploreCard(item: DiscoveryItem, follows: FollowState, showReason: boolean): HTMLElement {
  const known = knownGoingText(item.known_going, item.known_going_count);
  const distance = distanceText(item.distance_km);
  const left = item.status === "cancelled" ? 0 : Math.max(0, item.seats_left);
  return h(
    "li",
    {
      class: `explore-item status-${item.status}`,
      testid: "explore-item",
      dataset: { activityId: item.id, circleId: item.circle.id, category: item.category },
    },
    showReason && item.reason
      ? h("p", { class: "explore-reason", testid: "explore-reason", dataset: { code: item.reason_code ?? "" } }, userText(item.reason))
      : null,
    h(
      "div",
      { class: "activity-head" },
      h("a", { class: "activity-title", testid: "explore-item-title", attrs: { href: activityHash(item.id) } }, userText(item.title)),
      item.price ? h("span", { class: "pill price" }, formatMoney(item.price.amount, item.price.currency)) : null,
    ),
    h(
      "div",
      { class: "explore-circle" },
      h("a", { testid: "explore-item-circle", attrs: { href: circlePageHash(item.circle.id) } }, userText(item.circle.name)),
      item.circle.visibility === "private" ? h("span", { class: "pill private" }, "private") : null,
      follows.button(item.circle.id),
    ),
    h(
      "div",
      { class: "activity-when", testid: "explore-item-time" },
      h("time", { attrs: { datetime: item.starts_at } }, formatRange(item.starts_at, item.ends_at)),
    ),
    h(
      "div",
      { class: "activity-where", testid: "explore-item-place" },
      userText(item.location.name),
      item.location.address ? h("span", { class: "muted" }, " · ", userText(item.location.address)) : null,
      distance ? h("span", { class: "muted", testid: "explore-item-distance" }, ` · ${distance}`) : null,
    ),
    h(
      "div",
      { class: "activity-counts" },
      h("span", { class: `seats${left === 0 ? " none" : ""}`, testid: "explore-item-seats", dataset: { count: left } }, seatsText(item)),
      h("span", { class: "pill category" }, item.category),
    ),
    known ? h("p", { class: "explore-known", testid: "explore-item-known" }, known) : null,
    h("span", { class: "error", testid: "explore-item-error" }),
  );
}

/** A list of cards, or a line saying there is nothing. */
export function cardList(items: DiscoveryItem[], follows: FollowState, showReason: boolean, empty: string, testid: string): HTMLElement {
  const list = h("ul", { class: "explore-list", testid });
  if (items.length) replaceChildren(list, ...items.map((i) => exploreCard(i, follows, showReason)));
  else replaceChildren(list, h("li", { class: "muted explore-empty" }, empty));
  return list;
}
