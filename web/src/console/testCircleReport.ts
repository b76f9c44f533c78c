// A circle report, member standings and an outreach as the server sends them, for the
// console's unit tests (imported by *.test.ts only).

import type { CircleBucket, CircleReport, MemberStanding, Outreach } from "./wire";

export function bucket(start: string, end: string, over: Partial<CircleBucket> = {}): CircleBucket {
  return {
    start,
    end,
    joined: 0,
    left: 0,
    net: 0,
    members: 10,
    messages: 0,
    deleted_messages: 0,
    active: 0,
    dau: 0,
    wau: 0,
    mau: 0,
    stickiness: null,
    speakers: 0,
    silent: 10,
    newcomers: 0,
    activated: 0,
    activation: null,
    reply_speed: { prompts: 0, answered: 0, unanswered: 0, ratio: null, median_seconds: null, p90_seconds: null },
    ...over,
  };
}

export function circleReport(over: Partial<CircleReport> = {}): CircleReport {
  return {
    circle_id: "c1",
    period: "week",
    start: "2026-11-23",
    end: "2026-12-03",
    buckets: [
      bucket("2026-11-23", "2026-11-29", { joined: 3, net: 3, members: 13, newcomers: 3, activated: 3, messages: 40 }),
      bucket("2026-11-30", "2026-12-03", {
        joined: 12,
        left: 2,
        net: 10,
        members: 23,
        newcomers: 12,
        activated: 7,
        activation: 7 / 12,
        messages: 148,
        speakers: 9,
        silent: 14,
        dau: 4.5,
        wau: 11,
        mau: 20,
        stickiness: 0.225,
        reply_speed: { prompts: 12, answered: 9, unanswered: 3, ratio: 0.75, median_seconds: 240, p90_seconds: 1210.5 },
      }),
    ],
    cohorts: [
      { week: "2026-11-23", joined: 3, retained: [2, null, null, null, null, null, null, null] },
      { week: "2026-11-30", joined: 12, retained: [null, null, null, null, null, null, null, null] },
    ],
    ...over,
  };
}

export function member(over: Partial<MemberStanding> = {}): MemberStanding {
  return {
    user_id: "u1",
    display_name: "Ann",
    role: "member",
    joined_at: "2026-12-01T10:00:00Z",
    stage: "new",
    rfm: { recency_days: null, frequency: 0, attended: 0, active_days: 0, monetary: {}, r: 1, f: 1, m: 1 },
    segments: ["new and not yet activated"],
    tags: [],
    ...over,
  };
}

export function outreach(over: Partial<Outreach> = {}): Outreach {
  return {
    id: "o1",
    circle_id: "c1",
    kind: "dm",
    text: "Hello!",
    activity_id: null,
    activity_title: null,
    audience: { stage: null, segment: "new and not yet activated", tag: null, user_ids: false },
    sent_by: { id: "u0", display_name: "Olga" },
    sent_at: "2026-12-03T07:00:00Z",
    recipients: 5,
    delivered: 4,
    skipped: 1,
    read: 2,
    signed_up: 0,
    ...over,
  };
}
