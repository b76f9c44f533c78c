// The circle's audit log (`GET /api/circles/{id}/audit`), newest first, 20 entries a page with
// "Older entries" following `next_before`. Names come from the member list when known.

import { describeError } from "../api";
import { h } from "../dom";
import { formatWhen } from "../format";
import { store } from "../store";
import { moderationApi, type AuditEntry } from "./moderationApi";
import type { View } from "./view";

const ACTIONS: Record<string, string> = {
  mute: "muted",
  unmute: "unmuted",
  kick: "removed",
  ban: "banned",
  unban: "unbanned",
  delete_message: "deleted a message of",
  set_role: "changed the role of",
  transfer_ownership: "transferred ownership to",
  revoke_invites: "revoked every invite",
  slow_mode: "set slow mode",
  rules: "changed the rules",
  delete_post: "removed a post of",
  review_report: "reviewed a report about",
  approve_join: "approved the join request of",
  decline_join: "declined the join request of",
};

/** Actions whose target is the thing acted on (a message, a post), not a person: the person
 * is named from `details` instead. */
const OF_AUTHOR: Record<string, string> = { delete_message: "sender_id", delete_post: "author_id" };

export function describeAudit(entry: AuditEntry, name: (id: string) => string): string {
  const verb = ACTIONS[entry.action] ?? entry.action;
  const authorKey = OF_AUTHOR[entry.action];
  const target = entry.target_id && !authorKey ? ` ${name(entry.target_id)}` : "";
  const author = authorKey ? entry.details[authorKey] : undefined;
  const of = typeof author === "string" ? ` ${name(author)}` : "";
  let extra = "";
  if (entry.action === "mute" && typeof entry.details.seconds === "number") extra = ` for ${entry.details.seconds} s`;
  if (entry.action === "slow_mode" && typeof entry.details.seconds === "number") extra = ` to ${entry.details.seconds} s`;
  if (entry.action === "set_role" && typeof entry.details.role === "string") extra = ` to ${entry.details.role}`;
  if (entry.action === "review_report" && typeof entry.details.outcome === "string") extra = `: ${entry.details.outcome}`;
  return `${name(entry.actor_id)} ${verb}${target}${of}${extra}`;
}

/** Entries per page: a screenful; "Older entries" fetches the next. */
const PAGE = 20;

export function auditLogView(circleId: string): View {
  const list = h("ol", { class: "audit-list", testid: "audit-list" });
  const status = h("p", { class: "muted", testid: "audit-status" });
  let before: string | null = null;
  const more = h(
    "button",
    { testid: "audit-more", attrs: { type: "button" }, on: { click: () => load() } },
    "Older entries",
  );
  more.hidden = true;

  async function load(): Promise<void> {
    status.textContent = "Loading…";
    try {
      const page = await moderationApi.audit(circleId, before, PAGE);
      for (const entry of page.entries) {
        list.append(
          h(
            "li",
            { testid: "audit-entry", dataset: { action: entry.action } },
            h("span", { class: "muted" }, formatWhen(entry.at)),
            " ",
            h("span", { testid: "audit-text" }, describeAudit(entry, (id) => store.displayName(id))),
            entry.reason ? h("span", { class: "muted", testid: "audit-reason" }, ` (reason: ${entry.reason})`) : null,
          ),
        );
      }
      before = page.next_before;
      more.hidden = !before;
      status.textContent = list.childElementCount === 0 ? "Nothing recorded yet." : "";
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  void load();
  return { el: h("section", { class: "audit-log", testid: "audit-log" }, h("h2", {}, "Audit log"), status, list, more) };
}
