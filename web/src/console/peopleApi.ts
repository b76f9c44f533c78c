// The circle report's, member lifecycle's, tags' and outreach calls (docs/protocol.md, "Circle
// report", "Member lifecycle and RFM", "Outreach"). Owners/admins only: the server decides, and
// a refusal arrives as an ApiError the view shows.

import { request } from "../api";
import type { ReportRange } from "../router";
import { listQuery, type PeopleFilter } from "./people";
import type { CircleReport, MembersLifecycle, Outreach, OutreachIn } from "./wire";

const enc = encodeURIComponent;

function rangeQuery(r: ReportRange): string {
  const q = new URLSearchParams({ period: r.period });
  if (r.from) q.set("from", r.from);
  if (r.to) q.set("to", r.to);
  return `?${q.toString()}`;
}

export const peopleApi = {
  circleReport: (circleId: string, range: ReportRange) =>
    request<CircleReport>("GET", `/circles/${enc(circleId)}/report${rangeQuery(range)}`),
  lifecycle: (circleId: string, filter: PeopleFilter) =>
    request<MembersLifecycle>("GET", `/circles/${enc(circleId)}/members/lifecycle${listQuery(filter)}`),
  putTags: (circleId: string, userId: string, tags: string[]) =>
    request<{ circle_id: string; user_id: string; tags: string[] }>("PUT", `/circles/${enc(circleId)}/members/${enc(userId)}/tags`, { tags }),
  send: (circleId: string, body: OutreachIn) => request<{ outreach: Outreach }>("POST", `/circles/${enc(circleId)}/outreach`, body),
  outreach: (circleId: string) => request<{ outreach: Outreach[] }>("GET", `/circles/${enc(circleId)}/outreach`),
};
