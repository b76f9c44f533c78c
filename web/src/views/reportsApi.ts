// Member reports and the review queue (docs/protocol.md "Member reports and the review queue"):
// the HTTP calls, typed from wire.gen.ts, and the pure rules the views follow (which decisions
// a viewer may take on an item, how reasons and outcomes read).

import { request } from "../api";
import type { components } from "../wire.gen";
import type { Permissions } from "./moderationApi";

type S = components["schemas"];
export type ReportIn = S["FileReportIn"];
export type FiledReport = S["FiledReportOut"];
export type ReportKind = ReportIn["kind"];
export type ReportReason = ReportIn["reason"];
export type ReportItem = S["ReportItemOut"];
export type ReportQueue = S["ReportQueueOut"];
export type DecideIn = S["ReportDecideIn"];
export type DecideAction = DecideIn["action"];
export type Outcome = S["ReportDecisionOut"]["outcome"];
export type QueueStatus = ReportItem["status"];

const enc = encodeURIComponent;
const base = (id: string) => `/circles/${enc(id)}/reports`;

export const reportsApi = {
  file: (circleId: string, body: ReportIn) => request<S["FiledReportEnvelope"]>("POST", base(circleId), body),
  queue: (circleId: string, status: QueueStatus, before: string | null = null, limit = 20) =>
    request<ReportQueue>("GET", `${base(circleId)}?status=${status}&limit=${limit}${before ? `&before=${enc(before)}` : ""}`),
  item: (circleId: string, itemId: string) => request<S["ReportItemEnvelope"]>("GET", `${base(circleId)}/${enc(itemId)}`),
  decide: (circleId: string, body: DecideIn) => request<S["ReportItemEnvelope"]>("POST", `${base(circleId)}/decision`, body),
};

/** The reasons a reporter picks from, in the order offered, with their labels. */
export const REPORT_REASONS: Array<[ReportReason, string]> = [
  ["spam", "Spam"],
  ["harassment", "Harassment"],
  ["hate", "Hate"],
  ["scam", "Scam or fraud"],
  ["other", "Something else"],
];

const REASON_LABEL = Object.fromEntries(REPORT_REASONS) as Record<string, string>;

/** "Spam ×2, Scam or fraud": an item's reasons, most reported first (ties by label). */
export function reasonSummary(reasons: Record<string, number>): string {
  return Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => [REASON_LABEL[r] ?? r, n] as const)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => (n > 1 ? `${label} ×${n}` : label))
    .join(", ");
}

const OUTCOME_TEXT: Record<Outcome, string> = {
  dismissed: "Dismissed",
  removed: "Removed",
  muted: "Member muted",
  kicked: "Member removed from the circle",
  banned: "Member banned",
};

export function outcomeText(outcome: Outcome): string {
  return OUTCOME_TEXT[outcome];
}

const KIND_TEXT: Record<ReportKind, string> = { message: "Message", post: "Post", member: "Member" };

export function kindText(kind: ReportKind): string {
  return KIND_TEXT[kind];
}

/** The decisions offered on an open item; the server checks again (rank, membership). */
export function decisionActions(perms: Permissions | null, item: Pick<ReportItem, "kind" | "status" | "context">): DecideAction[] {
  if (!perms || item.status !== "open" || !perms.permissions.includes("view_reports")) return [];
  const out: DecideAction[] = ["dismiss"];
  if (item.kind !== "member" && perms.permissions.includes("delete_messages")) out.push("remove");
  const role = item.context.subject.role;
  // A subject who left can still be banned (so they cannot come back), not muted or kicked.
  if (perms.permissions.includes("moderate") && outranks(perms.role, role)) {
    if (role !== null) out.push("mute", "kick");
    out.push("ban");
  }
  return out;
}

const RANK: Record<Permissions["role"], number> = { owner: 4, admin: 3, moderator: 2, checkin: 1, member: 1 };

function outranks(viewer: Permissions["role"], subject: Permissions["role"] | null): boolean {
  return RANK[viewer] > (subject === null ? 1 : RANK[subject]);
}

export const ACTION_LABEL: Record<DecideAction, string> = {
  dismiss: "Dismiss",
  remove: "Remove it",
  mute: "Mute",
  kick: "Kick",
  ban: "Ban",
};

/** The body of a decision: `seconds` only with a mute (the server refuses it otherwise). */
export function decisionBody(itemId: string, action: DecideAction, reason: string, seconds: number): DecideIn {
  const body: DecideIn = { item_id: itemId, action, reason: reason.trim() };
  if (action === "mute") body.seconds = seconds;
  return body;
}
