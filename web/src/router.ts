// Hash routes, so the server only has to serve index.html at "/".
//   #/login                 sign in / register
//   #/explore               discover and search activities, find circles
//   #/new                   create a circle
//   #/c/<conversation_id>   a conversation (circle chat or DM)
//   #/join/<circle_id>?invite=<token>   join a circle (the invite link)
//   #/activity/<id>         an activity: details, your sign-up, ticket, organiser tools
//   #/activity/<id>/edit    the organiser's edit form
//   #/activity/<id>/checkin the organiser's check-in page (code entry)
//   #/activity/<id>/report  the organiser console: the activity's report
//   #/pay/<payment_id>      the sandbox provider's test checkout (the payer only)
//   #/circle/<id>/activities         a circle's activities (?when=past for past ones)
//   #/circle/<id>/about              the circle page: about, organisers, upcoming, join/follow
//   #/circle/<id>/new-activity       post an activity (circle owner/admin)
//   #/me/activities         my activities (?when=past for past ones, ?when=hosting for hosted)
//   #/circle/<id>/posts              a circle's posts, with the composer for those who may post
//   #/user/<id>             a member's profile (their posts, circles, a "Message" button)
//   #/me/profile            edit my profile (name, avatar, bio, interests, city)
//   #/circle/<id>/settings  slow mode, rules, invites, payout account, audit log (staff)
//   #/circle/<id>/reports   the review queue of member reports (view_reports)
//   #/circle/<id>/revenue   the organiser console: the circle's revenue (owners/admins)
//   #/circle/<id>/report?period=week&from=YYYY-MM-DD&to=YYYY-MM-DD  the circle report (owners/admins)
//   #/circle/<id>/people?stage=&segment=&tag=  members by lifecycle stage, with outreach (owners/admins)
//   #/me/verification       organiser verification: status and form
//   #/admin/verifications   platform administrators' review of verifications

import { NO_FILTER, filterFrom, filterQuery, type PeopleFilter } from "./console/people";

export type Route =
  | { name: "login" }
  | { name: "home" }
  | { name: "explore" }
  | { name: "new" }
  | { name: "conversation"; id: string }
  | { name: "join"; circleId: string; invite: string | null }
  | { name: "activity"; id: string; tab: "details" | "edit" | "checkin" | "report" }
  | { name: "pay"; id: string }
  | { name: "circleActivities"; circleId: string; when: "upcoming" | "past" }
  | { name: "circlePage"; circleId: string }
  | { name: "newActivity"; circleId: string }
  | { name: "myActivities"; when: "upcoming" | "past" | "hosting" }
  | { name: "circlePosts"; circleId: string }
  | { name: "user"; id: string }
  | { name: "editProfile" }
  | { name: "circleSettings"; circleId: string }
  | { name: "circleReports"; circleId: string }
  | { name: "circleRevenue"; circleId: string }
  | { name: "circleReport"; circleId: string; report: ReportRange }
  | { name: "circlePeople"; circleId: string; filter: PeopleFilter }
  | { name: "verification" }
  | { name: "adminVerifications" };

/** The circle report's period and range as the hash keeps them (null: the server's default). */
export interface ReportRange {
  period: "day" | "week" | "month";
  from: string | null;
  to: string | null;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path, search = ""] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  const params = new URLSearchParams(search);
  switch (parts[0]) {
    case "login":
      return { name: "login" };
    case "explore":
      return { name: "explore" };
    case "new":
      return { name: "new" };
    case "c":
      return parts[1] ? { name: "conversation", id: parts[1] } : { name: "home" };
    case "join":
      return parts[1]
        ? { name: "join", circleId: parts[1], invite: params.get("invite") }
        : { name: "home" };
    case "activity":
      if (!parts[1]) return { name: "home" };
      return {
        name: "activity",
        id: parts[1],
        tab: parts[2] === "edit" || parts[2] === "checkin" || parts[2] === "report" ? parts[2] : "details",
      };
    case "pay":
      return parts[1] ? { name: "pay", id: parts[1] } : { name: "home" };
    case "circle":
      if (!parts[1]) return { name: "home" };
      if (parts[2] === "new-activity") return { name: "newActivity", circleId: parts[1] };
      if (parts[2] === "about") return { name: "circlePage", circleId: parts[1] };
      if (parts[2] === "posts") return { name: "circlePosts", circleId: parts[1] };
      if (parts[2] === "settings") return { name: "circleSettings", circleId: parts[1] };
      if (parts[2] === "reports") return { name: "circleReports", circleId: parts[1] };
      if (parts[2] === "revenue") return { name: "circleRevenue", circleId: parts[1] };
      if (parts[2] === "report") return { name: "circleReport", circleId: parts[1], report: rangeOf(params) };
      if (parts[2] === "people") return { name: "circlePeople", circleId: parts[1], filter: filterFrom(params) };
      return { name: "circleActivities", circleId: parts[1], when: whenOf(params) };
    case "user":
      return parts[1] ? { name: "user", id: parts[1] } : { name: "home" };
    case "me":
      if (parts[1] === "profile") return { name: "editProfile" };
      if (parts[1] === "verification") return { name: "verification" };
      return { name: "myActivities", when: params.get("when") === "hosting" ? "hosting" : whenOf(params) };
    case "admin":
      return parts[1] === "verifications" ? { name: "adminVerifications" } : { name: "home" };
    default:
      return { name: "home" };
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function rangeOf(params: URLSearchParams): ReportRange {
  const p = params.get("period");
  const day = (k: string) => {
    const v = params.get(k);
    return v && DAY.test(v) ? v : null;
  };
  return { period: p === "week" || p === "month" ? p : "day", from: day("from"), to: day("to") };
}

function whenOf(params: URLSearchParams): "upcoming" | "past" {
  return params.get("when") === "past" ? "past" : "upcoming";
}

export function activityHash(id: string, tab: "edit" | "checkin" | "report" | null = null): string {
  return `#/activity/${encodeURIComponent(id)}${tab ? `/${tab}` : ""}`;
}

export function payHash(paymentId: string): string {
  return `#/pay/${encodeURIComponent(paymentId)}`;
}

export function circleActivitiesHash(circleId: string, when: "upcoming" | "past" = "upcoming"): string {
  return `#/circle/${encodeURIComponent(circleId)}/activities${when === "past" ? "?when=past" : ""}`;
}

export function circlePageHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/about`;
}

export function circleSettingsHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/settings`;
}

export function circleRevenueHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/revenue`;
}

export function circleReportHash(circleId: string, range: ReportRange | null = null): string {
  const q = new URLSearchParams();
  if (range && range.period !== "day") q.set("period", range.period);
  if (range?.from) q.set("from", range.from);
  if (range?.to) q.set("to", range.to);
  const search = q.toString();
  return `#/circle/${encodeURIComponent(circleId)}/report${search ? `?${search}` : ""}`;
}

export function circlePeopleHash(circleId: string, filter: PeopleFilter = NO_FILTER): string {
  return `#/circle/${encodeURIComponent(circleId)}/people${filterQuery(filter)}`;
}

export function circleReportsHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/reports`;
}

export function newActivityHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/new-activity`;
}

export function myActivitiesHash(when: "upcoming" | "past" | "hosting" = "upcoming"): string {
  return `#/me/activities${when === "upcoming" ? "" : `?when=${when}`}`;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function conversationHash(id: string): string {
  return `#/c/${encodeURIComponent(id)}`;
}

export function navigate(hash: string): void {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = hash;
}
