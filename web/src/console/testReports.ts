// Reports as the server sends them, for the console's unit tests (imported by *.test.ts only).

import type { ActivityReport, Revenue } from "./wire";

export function activityReport(over: Partial<ActivityReport> = {}): ActivityReport {
  return {
    activity_id: "a1",
    circle_id: "c1",
    title: "Morning row",
    starts_at: "2026-12-10T09:00:00Z",
    cancelled: false,
    ended: true,
    views: { share_page: { link: 10, poster: 3, going: 1 } },
    signups: 14,
    signups_by_day: [
      { day: "2026-12-01", signups: 10 },
      { day: "2026-12-03", signups: 4 },
    ],
    funnel: { viewed: 14, signed_up: 13, confirmed: 12, attended: 11 },
    waitlist: { current: 0, ever: 2 },
    offers: { made: 2, claimed: 1, declined: 0, expired: 1, open: 0 },
    holds_expired: 0,
    cancellations: { count: 1, late: 0, hours_before_start: [50.5], median_hours_before_start: 50.5 },
    reconfirmation: { asked: 0, reconfirmed: 0 },
    no_shows: 2,
    no_show_rate: 2 / 13,
    payments: [{ currency: "EUR", test: false, paid: 20000, refunded: 2000, net: 18000 }],
    referrals: { total: 5, by_channel: { link: 3, poster: 2, going: 0 } },
    ...over,
  };
}

export function revenue(over: Partial<Revenue> = {}): Revenue {
  return {
    circle_id: "c1",
    totals: [{ currency: "EUR", test: false, gross: 20000, refunds: 2000, fees: 0, net: 18000 }],
    by_month: [],
    by_activity: [
      { activity_id: "a1", title: "Morning row", currency: "EUR", test: false, gross: 15000, refunds: 2000, fees: 0, net: 13000 },
      { activity_id: "a2", title: "Evening row", currency: "EUR", test: false, gross: 5000, refunds: 0, fees: 0, net: 5000 },
    ],
    by_provider: [],
    outstanding: [],
    ...over,
  };
}
