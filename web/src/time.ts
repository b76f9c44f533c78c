// Server-written texts in the reader's own zone and locale. The server never writes a clock
// time into a text (it cannot know the reader's zone): a notification carries its times as ISO
// values in `data.times`, named by `{name}` in `data.template` (`{{` and `}}` are literal
// braces), and an edit's notice carries `changes: [{field, from, to}]`, both in notifications
// and in the circle's `system` message (its `card`, type "activity_changed"). `body` / `text`
// stay the fallback (docs/protocol.md, Notifications).

import { formatWhen } from "./format";
import type { Notification } from "./types";

export interface Change {
  field: string;
  from: string;
  to: string;
}

const LABELS: Record<string, string> = { starts_at: "Start", ends_at: "End", location: "Place" };
const TIME_FIELDS = new Set(["starts_at", "ends_at", "signup_deadline"]);

function isChange(c: unknown): c is Change {
  if (!c || typeof c !== "object") return false;
  const o = c as Record<string, unknown>;
  return typeof o.field === "string" && typeof o.from === "string" && typeof o.to === "string";
}

/** A wire time as the reader sees it, or null when it is not a time. */
export function localTime(iso: unknown): string | null {
  if (typeof iso !== "string") return null;
  const shown = formatWhen(iso);
  return shown || null;
}

/** "Start: Tue 1 Dec, 20:30 → 21:30; Place: Park → Hall" (the day again only when it changed),
 * or null if malformed. */
export function changesText(changes: unknown): string | null {
  if (!Array.isArray(changes) || !changes.length || !changes.every(isChange)) return null;
  const parts: string[] = [];
  for (const c of changes) {
    const label = LABELS[c.field] ?? c.field;
    if (TIME_FIELDS.has(c.field)) {
      const from = localTime(c.from);
      const sameDay = new Date(c.from).toDateString() === new Date(c.to).toDateString();
      const to = sameDay
        ? new Date(c.to).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
        : localTime(c.to);
      if (!from || !to) return null;
      parts.push(`${label}: ${from} → ${to}`);
    } else {
      parts.push(`${label}: ${c.from} → ${c.to}`);
    }
  }
  return parts.join("; ");
}

/** `template` with each `{name}` replaced by `times[name]` in local time; null when a name has
 * no time (then the caller shows the plain fallback). */
export function fillTemplate(template: unknown, times: unknown): string | null {
  if (typeof template !== "string" || !times || typeof times !== "object") return null;
  const values = times as Record<string, unknown>;
  let missing = false;
  const out = template.replace(/\{\{|\}\}|\{([A-Za-z0-9_.]+)\}/g, (whole, name: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    const shown = name ? localTime(values[name]) : null;
    if (!shown) missing = true;
    return shown ?? whole;
  });
  return missing ? null : out;
}

/** A notification's body in the reader's zone (its plain `body` when it has no times). */
export function notificationText(n: Notification): string {
  const data = n.data ?? {};
  const changes = changesText(data.changes);
  if (changes) return `${changes}. Please re-confirm.`;
  return fillTemplate(data.template, data.times) ?? n.body;
}

/** A change notice in the chat (a `system` message with an "activity_changed" card). */
export function changeNoticeText(card: Record<string, unknown> | null | undefined, fallback: string): string {
  if (!card || card.type !== "activity_changed" || typeof card.title !== "string") return fallback;
  const changes = changesText(card.changes);
  return changes ? `“${card.title}” changed. ${changes}. Please re-confirm on the card.` : fallback;
}
