// Activity discovery in the client (docs/protocol.md, "Discovery and following"): the Explore
// page's search filters as a query string, the browser's position as `near`, a local date range
// as UTC instants, and the words shown on a card. Pure, so it is unit-tested (discover.test.ts);
// the HTTP calls are in discoverApi.ts.

import type { components } from "./wire.gen";

type Schemas = components["schemas"];

/** One activity of a list or a section, as every discovery answer carries it. */
export type DiscoveryItem = Schemas["DiscoveryItemOut"];
export type DiscoverySection = Schemas["SectionOut"];
export type ActivitiesPage = Schemas["ActivitiesPageOut"];
export type FollowedCircle = Schemas["FollowOut"];

/** What the search form holds; empty strings and nulls are "not set". */
export interface Filters {
  q: string;
  category: string;
  /** Local calendar days as `<input type=date>` gives them (`2026-12-05`), inclusive. */
  fromDay: string;
  toDay: string;
  near: Position | null;
  radiusKm: number;
  following: boolean;
}

export interface Position {
  lat: number;
  lng: number;
}

export const RADII_KM = [1, 2, 5, 10, 25, 50] as const;
export const DEFAULT_RADIUS_KM = 10;

export function emptyFilters(): Filters {
  return { q: "", category: "", fromDay: "", toDay: "", near: null, radiusKm: DEFAULT_RADIUS_KM, following: false };
}

/**
 * Whether the reader is searching: with nothing set the page shows the discover sections. The
 * position alone is not a search (it fills the "near you" section); with a search it narrows it.
 */
export function isSearching(f: Filters): boolean {
  return Boolean(f.q.trim() || f.category || f.fromDay || f.toDay || f.following);
}

/**
 * The position sent to the server, rounded to 3 decimals (about 100 m): enough for a radius
 * of a kilometre or more, and the exact spot of the reader never leaves the browser.
 */
export function nearParam(p: Position): string {
  const round = (x: number) => String(Number(x.toFixed(3)));
  return `${round(p.lat)},${round(p.lng)}`;
}

/**
 * A range of local days as UTC instants: `from` at the start of its day, `to` at the end of
 * its (the start of the next day), so "5 Dec to 5 Dec" means all of 5 Dec where the reader is.
 * A malformed day is left out (the date input only gives valid ones or "").
 */
export function dayBounds(fromDay: string, toDay: string): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  const start = localMidnight(fromDay, 0);
  const end = localMidnight(toDay, 1);
  if (start) out.from = start;
  if (end) out.to = end;
  return out;
}

function localMidnight(day: string, plusDays: number): string | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The query string of `GET /api/activities` for these filters and page. */
export function activitiesQuery(f: Filters, cursor: string | null = null, limit = 20): string {
  const params = new URLSearchParams();
  const q = f.q.trim();
  if (q) params.set("q", q.slice(0, 200));
  if (f.category) params.set("category", f.category);
  const { from, to } = dayBounds(f.fromDay, f.toDay);
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  if (f.near) {
    params.set("near", nearParam(f.near));
    params.set("radius_km", String(f.radiusKm));
  }
  if (f.following) params.set("following", "true");
  if (cursor) params.set("cursor", cursor);
  params.set("limit", String(limit));
  return `?${params.toString()}`;
}

/** The query string of `GET /api/discover`: the position, when the reader gave it. */
export function discoverQuery(near: Position | null, radiusKm: number): string {
  return near ? `?near=${encodeURIComponent(nearParam(near))}&radius_km=${radiusKm}` : "";
}

/** Category chips: the usual ones and those the loaded activities carry, each once, sorted. */
export const BASE_CATEGORIES = ["outdoors", "sports", "hiking", "running", "games", "music", "food", "learning", "social", "arts"];

export function chipCategories(items: readonly { category: string }[], selected = ""): string[] {
  const all = new Set(BASE_CATEGORIES);
  for (const item of items) if (item.category) all.add(item.category);
  if (selected) all.add(selected);
  return [...all].sort();
}

/** "Ann, Bob and 2 more are going" from the names the server sends (at most 3) and the count. */
export function knownGoingText(names: readonly string[], count: number): string {
  const total = Math.max(count, names.length);
  if (total === 0) return "";
  if (names.length === 0) return total === 1 ? "1 person you know is going" : `${total} people you know are going`;
  const more = total - names.length;
  const parts = [...names];
  if (more > 0) parts.push(`${more} more`);
  const listed = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `${listed} ${total === 1 ? "is" : "are"} going`;
}

/** Seats left in words, as the other activity cards say it. */
export function seatsText(item: Pick<DiscoveryItem, "status" | "seats_left">): string {
  if (item.status === "cancelled") return "Cancelled";
  const left = Math.max(0, item.seats_left);
  if (left === 0) return "No seats left";
  return left === 1 ? "1 seat left" : `${left} seats left`;
}

/** A distance in the reader's terms: metres under a kilometre, one decimal under ten. */
export function distanceText(km: number | null | undefined): string {
  if (km === null || km === undefined || !Number.isFinite(km)) return "";
  if (km < 1) return `${Math.max(10, Math.round((km * 1000) / 10) * 10)} m away`;
  if (km < 10) return `${km.toFixed(1)} km away`;
  return `${Math.round(km)} km away`;
}

/** Items of a later page after those already shown, each activity once (by id). */
export function mergePage(shown: readonly DiscoveryItem[], page: readonly DiscoveryItem[]): DiscoveryItem[] {
  const seen = new Set(shown.map((i) => i.id));
  return [...shown, ...page.filter((i) => !seen.has(i.id))];
}
