// The members page's logic (pure, tested): the filters and their query string, the lifecycle
// table's columns, tag edits, the selection, and an outreach request with its counts line.

import { currencyDigits, formatAmount } from "../format";
import { decimalAmount } from "./csv";
import { plural } from "./summary";
import type { Column } from "./table";
import type { MemberStanding, Outreach, OutreachIn, OutreachKind, Segment, Stage } from "./wire";

export const STAGES: readonly Stage[] = ["new", "activated", "active", "cooling", "silent", "churned", "returning"];
export const SEGMENTS: readonly Segment[] = ["champions", "new and not yet activated", "at risk", "lost", "big spenders"];
export const HELLO_SEGMENT: Segment = "new and not yet activated";

export interface PeopleFilter {
  stage: string | null;
  segment: string | null;
  tag: string | null;
}

export const NO_FILTER: PeopleFilter = { stage: null, segment: null, tag: null };

export function hasFilter(f: PeopleFilter): boolean {
  return Boolean(f.stage || f.segment || f.tag);
}

/** "?stage=new&segment=at%20risk": the filters set, in a fixed order ("" when none). Spaces
 * are written %20 (not "+"), so the hash reads as the segment's name. */
export function filterQuery(f: PeopleFilter): string {
  const parts = (["stage", "segment", "tag"] as const)
    .filter((k) => f[k])
    .map((k) => `${k}=${encodeURIComponent(f[k] as string)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

// The members page asks for the server's largest page; a larger circle shows how many more
// match (the filters, tags and outreach still reach all of them).
export const PAGE_SIZE = 500;

export function listQuery(f: PeopleFilter): string {
  const q = filterQuery(f);
  return `${q ? `${q}&` : "?"}limit=${PAGE_SIZE}`;
}

export function listTitle(shown: number, total: number, filtered: boolean): string {
  const noun = total === 1 ? "member" : "members";
  const which = filtered ? " matching the filter" : "";
  return shown < total ? `${total} ${noun}${which}, the first ${shown} shown` : `${total} ${noun}${which}`;
}

export function filterFrom(params: URLSearchParams): PeopleFilter {
  const read = (k: string) => params.get(k)?.trim() || null;
  return { stage: read("stage"), segment: read("segment"), tag: read("tag") };
}

// ---- tags ----------------------------------------------------------------------------------

export const MAX_TAGS = 10;
const TAG = /^[a-z0-9-]{1,32}$/;

/** A tag as the organiser typed it, made a slug ("VIP " -> "vip"); null when it cannot be one. */
export function tagSlug(text: string): string | null {
  const slug = text.trim().toLowerCase().replace(/\s+/g, "-");
  return TAG.test(slug) ? slug : null;
}

/** The member's tags after adding or removing one; null when adding would pass the limit. */
export function editTags(current: readonly string[], tag: string, add: boolean): string[] | null {
  if (!add) return current.filter((t) => t !== tag);
  if (current.includes(tag)) return [...current];
  if (current.length >= MAX_TAGS) return null;
  return [...current, tag];
}

// ---- the table -----------------------------------------------------------------------------

export function moneyOf(m: MemberStanding, currency: string | null): number | null {
  if (!currency) return null;
  return m.rfm.monetary[currency] ?? 0;
}

export function memberColumns(mainCurrency: string | null): Column<MemberStanding>[] {
  const cur = mainCurrency;
  return [
    { key: "name", label: "Name", sort: (m) => m.display_name },
    { key: "role", label: "Role", sort: (m) => m.role },
    { key: "joined", label: "Joined", sort: (m) => m.joined_at, text: (m) => new Date(m.joined_at).toLocaleDateString() },
    { key: "stage", label: "Stage", sort: (m) => STAGES.indexOf(m.stage), text: (m) => m.stage, csv: (m) => m.stage },
    { key: "r", label: "R", numeric: true, sort: (m) => m.rfm.r },
    { key: "f", label: "F", numeric: true, sort: (m) => m.rfm.f },
    { key: "m", label: "M", numeric: true, sort: (m) => m.rfm.m },
    {
      key: "monetary",
      label: cur ? `Paid (${cur})` : "Paid",
      numeric: true,
      sort: (m) => moneyOf(m, cur),
      text: (m) => {
        const v = moneyOf(m, cur);
        return v === null || !cur ? "–" : formatAmount(v, cur);
      },
      csv: (m) => {
        const v = moneyOf(m, cur);
        return v === null || !cur ? null : decimalAmount(v, currencyDigits(cur));
      },
    },
    { key: "segments", label: "Segments", sort: (m) => m.segments.join(", ") || null },
    { key: "tags", label: "Tags", sort: (m) => m.tags.join(", ") || null },
    { key: "recency", label: "Days since last seen", numeric: true, sort: (m) => m.rfm.recency_days, csvOnly: true },
    { key: "user_id", label: "User id", sort: (m) => m.user_id, csvOnly: true },
  ];
}

// ---- selection -----------------------------------------------------------------------------

/** The ids selected among those shown (a selection never reaches members filtered away). */
export function selectedShown(selected: ReadonlySet<string>, shown: readonly string[]): string[] {
  return shown.filter((id) => selected.has(id));
}

/** "Select all shown": every shown one, or none when all were already selected. */
export function toggleAll(selected: ReadonlySet<string>, shown: readonly string[]): Set<string> {
  const all = shown.length > 0 && shown.every((id) => selected.has(id));
  return all ? new Set() : new Set(shown);
}

// ---- outreach ------------------------------------------------------------------------------

export const MAX_RECIPIENTS = 500;

export type Audience = { userIds: string[] } | { filter: PeopleFilter };

/** The request for a send, or why it cannot be sent. */
export function outreachRequest(
  kind: OutreachKind,
  text: string,
  audience: Audience,
  activityId: string | null,
  /** The same for a retry of this send: the server reaches nobody twice. */
  clientId: string | null = null,
): { body: OutreachIn } | { problem: string } {
  const note = text.trim();
  if (!note) return { problem: "Write a message first." };
  if (note.length > 2000) return { problem: "The message is longer than 2,000 characters." };
  if (kind === "invite" && !activityId) return { problem: "Pick an activity to invite them to." };
  const body: OutreachIn = { kind, text: note };
  if (kind === "invite" && activityId) body.activity_id = activityId;
  if ("userIds" in audience) {
    if (!audience.userIds.length) return { problem: "Select at least one member." };
    if (audience.userIds.length > MAX_RECIPIENTS) return { problem: `Select at most ${MAX_RECIPIENTS} members.` };
    body.user_ids = [...audience.userIds];
  } else {
    if (!hasFilter(audience.filter)) return { problem: "Choose a stage, segment or tag first." };
    const f = audience.filter;
    // A stage or segment the page does not know is sent as it is: the server names it if bad.
    if (f.stage) body.stage = f.stage as Stage;
    if (f.segment) body.segment = f.segment as Segment;
    if (f.tag) body.tag = f.tag;
  }
  if (clientId) body.client_id = clientId;
  return { body };
}

const KIND_DONE: Record<OutreachKind, string> = {
  dm: "Message sent",
  announcement: "Announcement posted",
  invite: "Invitation sent",
};

/** "Message sent to 5 members: 4 delivered, 1 skipped." */
export function sendCounts(o: Outreach): string {
  const skipped = o.skipped ? `, ${o.skipped} skipped` : "";
  return `${KIND_DONE[o.kind]} to ${plural(o.recipients, "member")}: ${o.delivered} delivered${skipped}.`;
}

const KIND_LABEL: Record<OutreachKind, string> = { dm: "Message", announcement: "Announcement", invite: "Invitation" };

export function audienceText(o: Outreach): string {
  if (o.audience.user_ids) return "selected members";
  const parts = [o.audience.stage && `stage ${o.audience.stage}`, o.audience.segment, o.audience.tag && `#${o.audience.tag}`];
  return parts.filter(Boolean).join(", ") || "–";
}

export const OUTREACH_COLUMNS: Column<Outreach>[] = [
  { key: "sent_at", label: "Sent", sort: (o) => o.sent_at, text: (o) => new Date(o.sent_at).toLocaleString() },
  { key: "kind", label: "Kind", sort: (o) => o.kind, text: (o) => (o.activity_title ? `${KIND_LABEL[o.kind]}: ${o.activity_title}` : KIND_LABEL[o.kind]), csv: (o) => o.kind },
  { key: "text", label: "Text", sort: (o) => o.text },
  { key: "audience", label: "To", sort: audienceText },
  { key: "sent_by", label: "By", sort: (o) => o.sent_by.display_name },
  { key: "recipients", label: "Recipients", numeric: true, sort: (o) => o.recipients },
  { key: "delivered", label: "Delivered", numeric: true, sort: (o) => o.delivered },
  { key: "skipped", label: "Skipped", numeric: true, sort: (o) => o.skipped },
  { key: "read", label: "Read", numeric: true, sort: (o) => o.read },
  { key: "signed_up", label: "Signed up", numeric: true, sort: (o) => o.signed_up },
  { key: "activity_id", label: "Activity id", sort: (o) => o.activity_id, csvOnly: true },
  { key: "id", label: "Outreach id", sort: (o) => o.id, csvOnly: true },
];
