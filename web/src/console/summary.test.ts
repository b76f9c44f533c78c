import { describe, expect, it } from "vitest";
import { activitySummary, plural, revenueSummary } from "./summary";
import { activityReport, revenue } from "./testReports";

describe("the activity report's summary", () => {
  it("says how an ended activity did, with the money", () => {
    expect(activitySummary(activityReport())).toBe("14 sign-ups, 11 attended, 2 no-shows, 1 cancellation; €180.00 net.");
  });

  it("counts confirmed and waiting before the start, late cancellations, and a free activity", () => {
    const r = activityReport({
      ended: false,
      no_shows: null,
      waitlist: { current: 3, ever: 3 },
      cancellations: { count: 2, late: 1, hours_before_start: [30, 2], median_hours_before_start: 16 },
      payments: [],
    });
    expect(activitySummary(r)).toBe("14 sign-ups, 12 confirmed, 3 on the waitlist, 2 cancellations (1 late).");
  });

  it("says when the activity was cancelled and when money was only test money", () => {
    const r = activityReport({
      cancelled: true,
      signups: 1,
      no_shows: null,
      cancellations: { count: 0, late: 0, hours_before_start: [], median_hours_before_start: null },
      payments: [{ currency: "EUR", test: true, paid: 1250, refunded: 0, net: 1250 }],
    });
    expect(activitySummary(r)).toBe("1 sign-up, the activity was cancelled; €12.50 net in test payments (no money moved).");
  });

  it("never adds test money to real money, and names every currency", () => {
    const r = activityReport({
      payments: [
        { currency: "EUR", test: false, paid: 1000, refunded: 0, net: 1000 },
        { currency: "GBP", test: false, paid: 500, refunded: 0, net: 500 },
        { currency: "EUR", test: true, paid: 9900, refunded: 0, net: 9900 },
      ],
    });
    expect(activitySummary(r)).toMatch(/; €10\.00 and £5\.00 net\.$/);
  });

  it("writes singular and plural", () => {
    expect(plural(1, "no-show")).toBe("1 no-show");
    expect(plural(0, "no-show")).toBe("0 no-shows");
    expect(plural(2, "activity", "activities")).toBe("2 activities");
  });
});

describe("the revenue report's summary", () => {
  it("gives net, gross and refunds, the activities that earned, transfers to review", () => {
    const r = revenue({
      outstanding: [
        {
          payment_id: "p1",
          activity_id: "a1",
          activity_title: "Morning row",
          payer_id: "u1",
          payer_name: "Ann",
          amount: 2000,
          currency: "EUR",
          status: "pending",
          reference: "IBAN ann",
          since: "2026-12-01T10:00:00Z",
        },
      ],
    });
    expect(revenueSummary(r)).toBe("€180.00 net (€200.00 in, €20.00 refunded) from 2 activities; 1 bank transfer to review.");
  });

  it("names fees when a provider reported some, and keeps test money apart", () => {
    const r = revenue({
      totals: [
        { currency: "EUR", test: false, gross: 1000, refunds: 0, fees: 30, net: 970 },
        { currency: "EUR", test: true, gross: 500, refunds: 0, fees: 0, net: 500 },
      ],
      by_activity: [{ activity_id: "a1", title: "Row", currency: "EUR", test: false, gross: 1000, refunds: 0, fees: 30, net: 970 }],
    });
    expect(revenueSummary(r)).toBe(
      "€9.70 net (€10.00 in, €0.00 refunded, €0.30 fees) from 1 activity; test payments apart (no money moved): €5.00 net.",
    );
  });

  it("says so when there is no money yet", () => {
    expect(revenueSummary(revenue({ totals: [], by_activity: [] }))).toBe("No real money yet.");
  });
});
