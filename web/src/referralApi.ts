// The HTTP calls of referral attribution and the circle page (docs/protocol.md, "Referral
// attribution" and "Circle page"): a join that carries the share link it came from, the
// organisers' counts, the circle page and following.

import { request } from "./api";
import { forgetReferral, referralFor, type Target } from "./referral";
import type { components } from "./wire.gen";

export type CirclePage = components["schemas"]["CirclePageOut"];
export type Referrals = components["schemas"]["ReferralsOut"];

const enc = encodeURIComponent;

/** Join a circle, sending the share link it was opened from (kept by referral.ts). */
export async function joinWithReferral(circleId: string, invite?: string): Promise<void> {
  const via = referralFor("circle", circleId);
  await request<unknown>("POST", `/circles/${enc(circleId)}/join`, { ...(invite ? { invite } : {}), ...via });
  forgetReferral("circle", circleId);
}

export function circlePage(circleId: string): Promise<CirclePage> {
  return request<CirclePage>("GET", `/circles/${enc(circleId)}/page`);
}

export function follow(circleId: string, on: boolean): Promise<unknown> {
  return request<unknown>(on ? "POST" : "DELETE", `/circles/${enc(circleId)}/follow`);
}

/** Sign-ups (activity) or joins (circle) credited to share links: organisers, owners/admins. */
export function referrals(target: Target, id: string): Promise<Referrals> {
  const kind = target === "activity" ? "activities" : "circles";
  return request<Referrals>("GET", `/${kind}/${enc(id)}/referrals`);
}
