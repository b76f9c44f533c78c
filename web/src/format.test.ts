import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  currencyDigits,
  formatAmount,
  formatMoney,
  formatRange,
  formatRemaining,
  formatWhen,
  fromLocalInput,
  toLocalInput,
} from "./format";

// vitest.config.ts runs these in Europe/Paris (UTC+1 in winter, UTC+2 in summer) and en-GB.

describe("times in the reader's zone", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-06-15T12:00:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows a UTC time in local time, without the year when it is this year", () => {
    expect(formatWhen("2026-01-10T09:00:00Z")).toBe("Sat 10 Jan, 10:00");
    expect(formatWhen("2026-07-04T09:00:00Z")).toBe("Sat 4 Jul, 11:00");
  });

  it("adds the year for another year", () => {
    expect(formatWhen("2027-01-09T09:00:00Z")).toBe("Sat, 9 Jan 2027, 10:00");
  });

  it("shows nothing for a malformed time", () => {
    expect(formatWhen("not a time")).toBe("");
  });

  it("writes the day once for a same-day range, both days otherwise", () => {
    expect(formatRange("2026-07-04T09:00:00Z", "2026-07-04T11:30:00Z")).toBe("Sat 4 Jul, 11:00 – 13:30");
    expect(formatRange("2026-07-04T20:00:00Z", "2026-07-05T08:00:00Z")).toBe(
      "Sat 4 Jul, 22:00 – Sun 5 Jul, 10:00",
    );
    // Local days decide: 23:30Z on the 4th is already the 5th in Paris.
    expect(formatRange("2026-07-04T21:30:00Z", "2026-07-04T23:30:00Z")).toBe(
      "Sat 4 Jul, 23:30 – Sun 5 Jul, 01:30",
    );
  });

  it("falls back to the start alone when the end is malformed", () => {
    expect(formatRange("2026-07-04T09:00:00Z", "nope")).toBe("Sat 4 Jul, 11:00");
  });
});

describe("datetime-local <-> UTC", () => {
  it("reads a local input as UTC across daylight saving time", () => {
    expect(fromLocalInput("2026-01-15T20:30")).toBe("2026-01-15T19:30:00.000Z");
    expect(fromLocalInput("2026-07-01T20:30")).toBe("2026-07-01T18:30:00.000Z");
    expect(fromLocalInput("2026-07-01T20:30:15")).toBe("2026-07-01T18:30:15.000Z");
  });

  it("refuses what is not a datetime-local value", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("2026-07-01")).toBeNull();
    expect(fromLocalInput("20:30")).toBeNull();
  });

  it("writes a UTC time as a local input value, to the minute", () => {
    expect(toLocalInput("2026-01-15T19:30:59Z")).toBe("2026-01-15T20:30");
    expect(toLocalInput("2026-07-01T22:05:00Z")).toBe("2026-07-02T00:05");
    expect(toLocalInput(null)).toBe("");
    expect(toLocalInput("garbage")).toBe("");
  });

  it("round-trips every quarter hour of a year, DST days included", () => {
    const start = Date.UTC(2026, 0, 1);
    let ambiguous = 0;
    for (let t = start; t < start + 365 * 86_400_000; t += 15 * 60_000) {
      const iso = new Date(t).toISOString();
      const local = toLocalInput(iso);
      // The hour repeated when clocks go back (25 Oct, 02:00-03:00 twice) cannot be told apart
      // in a datetime-local input: its second pass reads as the first.
      if (local === toLocalInput(new Date(t - 3_600_000).toISOString())) {
        ambiguous++;
        expect(fromLocalInput(local)).toBe(new Date(t - 3_600_000).toISOString());
        continue;
      }
      expect(fromLocalInput(local)).toBe(iso);
    }
    expect(ambiguous).toBe(4);
  });
});

describe("money in minor units", () => {
  it("uses the currency's minor unit", () => {
    expect(currencyDigits("EUR")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("KWD")).toBe(3);
  });

  it("formats minor units as money", () => {
    expect(formatAmount(1250, "EUR")).toBe("€12.50");
    expect(formatAmount(1500, "JPY")).toBe("JP¥1,500");
    expect(formatAmount(1250, "KWD")).toBe("KWD\u00a01.250");
    expect(formatAmount(0, "GBP")).toBe("£0.00");
  });

  it("calls a zero price Free, but not a zero total", () => {
    expect(formatMoney(0, "EUR")).toBe("Free");
    expect(formatMoney(5, "EUR")).toBe("€0.05");
  });

  it("still shows an amount in a currency Intl rejects", () => {
    expect(formatAmount(1250, "XX")).toBe("12.50 XX");
  });
});

describe("countdowns", () => {
  it("rounds up to whole seconds and never goes negative", () => {
    expect(formatRemaining(0)).toBe("0:00");
    expect(formatRemaining(-5_000)).toBe("0:00");
    expect(formatRemaining(1)).toBe("0:01");
    expect(formatRemaining(59_999)).toBe("1:00");
    expect(formatRemaining(299_001)).toBe("5:00");
  });

  it("adds hours and pads the minutes under them", () => {
    expect(formatRemaining(3_723_000)).toBe("1:02:03");
    expect(formatRemaining(36_000_000)).toBe("10:00:00");
  });
});
