import { describe, expect, it } from "vitest";
import { MAX_FILLED_DAYS, dailySignups, dayLabel, monthLabel, monthlyRevenue } from "./series";
import type { MonthRevenue } from "./wire";

describe("sign-ups per day", () => {
  it("fills the quiet days between the first and the last with zeros, with a running total", () => {
    const s = dailySignups([
      { day: "2026-11-30", signups: 2 },
      { day: "2026-12-03", signups: 1 },
      { day: "2026-12-01", signups: 4 },
    ]);
    expect(s.days).toEqual(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]);
    expect(s.counts).toEqual([2, 4, 0, 1]);
    expect(s.cumulative).toEqual([2, 6, 6, 7]);
  });

  it("crosses a daylight saving change and a year end by UTC days", () => {
    const s = dailySignups([
      { day: "2026-10-24", signups: 1 },
      { day: "2026-10-26", signups: 1 },
    ]);
    expect(s.days).toEqual(["2026-10-24", "2026-10-25", "2026-10-26"]);
    expect(dailySignups([{ day: "2026-12-31", signups: 1 }, { day: "2027-01-01", signups: 1 }]).days).toEqual(["2026-12-31", "2027-01-01"]);
  });

  it("adds up repeated days, skips bad ones, and does not fill a span too long to draw", () => {
    expect(dailySignups([{ day: "2026-01-01", signups: 1 }, { day: "2026-01-01", signups: 2 }, { day: "junk", signups: 9 }])).toEqual({
      days: ["2026-01-01"],
      counts: [3],
      cumulative: [3],
    });
    const far = dailySignups([{ day: "2020-01-01", signups: 1 }, { day: "2026-01-01", signups: 1 }]);
    expect(far.days).toEqual(["2020-01-01", "2026-01-01"]);
    expect(MAX_FILLED_DAYS).toBeGreaterThan(365);
    expect(dailySignups([])).toEqual({ days: [], counts: [], cumulative: [] });
  });

  it("labels UTC days and months in the reader's language", () => {
    expect(dayLabel("2026-12-03")).toBe("3 Dec");
    expect(dayLabel("2026-12-03", true)).toBe("3 Dec 2026");
    expect(monthLabel("2026-02")).toBe("Feb 2026");
    expect(monthLabel("bad")).toBe("bad");
  });
});

function month(month: string, currency: string, gross: number, refunds: number, test = false): MonthRevenue {
  return { month, currency, test, gross, refunds, fees: 0, net: gross - refunds };
}

describe("money per month", () => {
  it("gives one series per currency, real money before test money, in major units, months filled", () => {
    const series = monthlyRevenue([
      month("2026-11", "EUR", 2000, 0),
      month("2027-01", "EUR", 1000, 3000),
      month("2026-12", "EUR", 500, 0, true),
      month("2026-12", "JPY", 1500, 0),
    ]);
    expect(series.map((s) => [s.currency, s.test])).toEqual([
      ["EUR", false],
      ["JPY", false],
      ["EUR", true],
    ]);
    expect(series[0]).toEqual({
      currency: "EUR",
      test: false,
      months: ["2026-11", "2026-12", "2027-01"],
      gross: [20, 0, 10],
      refunds: [0, 0, 30],
      net: [20, 0, -20],
    });
    expect(series[1].gross).toEqual([1500]); // no minor units in yen
    expect(series[2].net).toEqual([5]);
  });

  it("is empty without payments", () => {
    expect(monthlyRevenue([])).toEqual([]);
  });
});
