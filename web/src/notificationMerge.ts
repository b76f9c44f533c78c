// How a fetched page of notifications merges with the copies this client holds. Pure, so the
// rules are unit-tested (notificationMerge.test.ts).
//
// A digest (the organiser's "3 new sign-ups") is rewritten in place under its id and counts
// up, so of two copies the one with the larger `data.count` is the newer: a page fetched just
// before a live copy arrived must not put the older text back. A copy marked read here wins
// over an unread one of the same count from the server (the read may not have reached it yet);
// a digest that counted more since is news again.

import type { Notification } from "./types";

function count(n: Notification | undefined): number {
  return Number(n?.data?.count ?? 0);
}

/** The copy to keep of one notification: `held` (this client's) or `fetched` (the server's). */
export function newerCopy(held: Notification | undefined, fetched: Notification): Notification {
  if (!held) return fetched;
  if (count(held) > count(fetched)) return held; // the page is older than a live copy
  const grown = count(fetched) > count(held);
  return held.read && !grown ? { ...fetched, read: true } : fetched;
}

/** Merge a fetched page into the held items, newest first. */
export function mergePage(held: Notification[], fetched: Notification[]): Notification[] {
  const byId = new Map(held.map((n) => [n.id, n]));
  for (const n of fetched) byId.set(n.id, newerCopy(byId.get(n.id), n));
  return sortNewest([...byId.values()]);
}

export function sortNewest(items: Notification[]): Notification[] {
  return items.sort((a, b) => b.created_at.localeCompare(a.created_at));
}
