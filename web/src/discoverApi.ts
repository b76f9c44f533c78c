// The HTTP calls of discovery, following and sharing (docs/protocol.md, "Discovery and
// following", "Share pages and posters"). The answers are the server's own models (wire.gen.ts).

import { request } from "./api";
import {
  activitiesQuery,
  discoverQuery,
  type ActivitiesPage,
  type DiscoverySection,
  type Filters,
  type FollowedCircle,
  type Position,
} from "./discover";
import type { components } from "./wire.gen";

export type ShareLinks = components["schemas"]["ShareLinksOut"];

const enc = encodeURIComponent;

export function discover(near: Position | null, radiusKm: number): Promise<{ sections: DiscoverySection[] }> {
  return request<{ sections: DiscoverySection[] }>("GET", `/discover${discoverQuery(near, radiusKm)}`);
}

export function searchActivities(filters: Filters, cursor: string | null): Promise<ActivitiesPage> {
  return request<ActivitiesPage>("GET", `/activities${activitiesQuery(filters, cursor)}`);
}

export function following(): Promise<{ following: FollowedCircle[] }> {
  return request<{ following: FollowedCircle[] }>("GET", "/me/following");
}

export function setFollowing(circleId: string, on: boolean): Promise<FollowedCircle> {
  return request<FollowedCircle>(on ? "POST" : "DELETE", `/circles/${enc(circleId)}/follow`);
}

/** The caller's share URLs of an activity; `going` only while their seat is theirs. */
export function shareLinks(activityId: string): Promise<ShareLinks> {
  return request<ShareLinks>("GET", `/activities/${enc(activityId)}/share`);
}
