// HTTP calls of circle moderation, verification and payout accounts (docs/protocol.md "Roles
// and moderation", "Organiser verification and payout details"). Types are the server's own
// models from wire.gen.ts.

import { request } from "../api";
import { getToken } from "../session";
import type { components } from "../wire.gen";

type S = components["schemas"];
export type Permissions = S["PermissionsOut"];
export type Permission = Permissions["permissions"][number];
export type CircleRole = Permissions["role"];
export type AssignableRole = S["RoleIn"]["role"];
export type Rules = S["RulesOut"];
export type AuditPage = S["AuditOut"];
export type AuditEntry = S["AuditEntryOut"];
export type Verification = S["VerificationOut"];
export type MyVerification = S["MyVerificationOut"];
export type QueueItem = S["QueueItemOut"];
export type DocumentType = S["SubmitVerificationIn"]["document_type"];
export type PayoutAccount = S["PayoutAccountOut"];
export type PayoutAccountIn = S["PayoutAccountIn"];

const enc = encodeURIComponent;
const circle = (id: string, rest: string) => `/circles/${enc(id)}/${rest}`;

export const moderationApi = {
  permissions: (id: string) => request<Permissions>("GET", circle(id, "permissions")),
  setRole: (id: string, user_id: string, role: AssignableRole, reason = "") =>
    request<unknown>("PUT", circle(id, "roles"), { user_id, role, reason }),
  mute: (id: string, user_id: string, seconds: number, reason = "") =>
    request<S["MuteOut"]>("POST", circle(id, "mute"), { user_id, seconds, reason }),
  unmute: (id: string, user_id: string) => request<void>("POST", circle(id, "unmute"), { user_id }),
  kick: (id: string, user_id: string, reason = "") => request<void>("POST", circle(id, "kick"), { user_id, reason }),
  ban: (id: string, user_id: string, reason = "") =>
    request<S["BanEnvelope"]>("POST", circle(id, "ban"), { user_id, reason }),
  unban: (id: string, user_id: string) => request<void>("POST", circle(id, "unban"), { user_id }),
  bans: (id: string) => request<S["BansOut"]>("GET", circle(id, "bans")),
  slowMode: (id: string, seconds: number) =>
    request<S["SlowModeOut"]>("PUT", circle(id, "slow-mode"), { seconds }),
  rules: (id: string) => request<S["RulesEnvelope"]>("GET", circle(id, "rules")),
  setRules: (id: string, text: string) => request<S["RulesEnvelope"]>("PUT", circle(id, "rules"), { text }),
  acceptRules: (id: string, version: string) =>
    request<S["RulesEnvelope"]>("POST", circle(id, "rules/accept"), { version }),
  revokeInvites: (id: string) => request<void>("POST", circle(id, "invites/revoke"), {}),
  audit: (id: string, before: string | null, limit = 50) =>
    request<AuditPage>(
      "GET",
      circle(id, `audit?limit=${limit}${before ? `&before=${enc(before)}` : ""}`),
    ),

  myVerification: () => request<MyVerification>("GET", "/me/verification"),
  submitVerification: (body: S["SubmitVerificationIn"]) =>
    request<S["VerificationEnvelope"]>("POST", "/me/verification", body),
  adminQueue: () => request<S["QueueOut"]>("GET", "/admin/verifications"),
  adminItem: (id: string) => request<S["VerificationEnvelope"]>("GET", `/admin/verifications/${enc(id)}`),
  adminReview: (id: string, decision: "approved" | "rejected", reason: string | null) =>
    request<S["VerificationEnvelope"]>("POST", `/admin/verifications/${enc(id)}/review`, { decision, reason }),

  payoutAccount: (id: string) => request<S["PayoutAccountEnvelope"]>("GET", circle(id, "payout-account")),
  setPayoutAccount: (id: string, body: PayoutAccountIn) =>
    request<S["PayoutAccountEnvelope"]>("PUT", circle(id, "payout-account"), body),
  deletePayoutAccount: (id: string) => request<void>("DELETE", circle(id, "payout-account")),
};

/** Upload an image for a verification (`purpose=verification`); answers the upload's id. */
export async function uploadVerificationImage(file: File): Promise<string> {
  const form = new FormData();
  form.append("file", file, file.name);
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch("/api/uploads?purpose=verification", { method: "POST", headers, body: form });
  const body = (await resp.json().catch(() => null)) as
    | { upload?: { id: string }; error?: { message?: string } }
    | null;
  if (!resp.ok || !body?.upload) throw new Error(body?.error?.message ?? `Upload failed (HTTP ${resp.status})`);
  return body.upload.id;
}

/** The image of a submission for the admin review, as a blob: URL (fetched with the token). */
export async function adminImageUrl(url: string): Promise<string> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(url, { headers });
  if (!resp.ok) {
    const body = (await resp.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`Image not available: ${body?.error?.message ?? `HTTP ${resp.status}`}`);
  }
  return URL.createObjectURL(await resp.blob());
}

/** Which member actions `viewer` (with `perms`) may take on a member of role `target`. */
export interface MemberActions {
  role: boolean;
  mute: boolean;
  kick: boolean;
  ban: boolean;
}

const RANK: Record<CircleRole, number> = { owner: 4, admin: 3, moderator: 2, checkin: 1, member: 1 };

export function memberActions(perms: Permissions | null, target: CircleRole, self: boolean): MemberActions {
  const none = { role: false, mute: false, kick: false, ban: false };
  if (!perms || self || RANK[perms.role] <= RANK[target]) return none;
  const moderate = perms.permissions.includes("moderate");
  return {
    role: perms.permissions.includes("manage_roles"),
    mute: moderate,
    kick: moderate,
    ban: moderate,
  };
}

/** The roles `viewer` may hand out: admins give only roles below admin. */
export function assignableRoles(viewer: CircleRole): AssignableRole[] {
  const all: AssignableRole[] = ["admin", "moderator", "checkin", "member"];
  return viewer === "owner" ? all : all.filter((r) => RANK[r] < RANK[viewer]);
}

/** "2 h 5 min", "45 s": a wait or time left in words (rounded up, so never "0"). */
export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.ceil(s / 60)} min`;
  const mins = Math.ceil(s / 60);
  if (s < 86400) {
    const hrs = Math.floor(mins / 60);
    return mins % 60 ? `${hrs} h ${mins % 60} min` : `${hrs} h`;
  }
  const hours = Math.ceil(s / 3600);
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Mute durations offered in the member menu. */
export const MUTE_CHOICES: Array<[string, number]> = [
  ["10 minutes", 600],
  ["1 hour", 3600],
  ["1 day", 86400],
  ["1 week", 604800],
];
