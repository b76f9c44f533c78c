// Chart series from the reports: sign-ups per day (with the quiet days in between, so the
// time axis is even) and money per month for each currency. Days and months are UTC, as the
// server counts them.

import { currencyDigits } from "../format";
import type { DayCount, MonthRevenue } from "./wire";

/** Gaps are filled up to this many days; a longer span is drawn from the days given. */
export const MAX_FILLED_DAYS = 400;

export interface DailySeries {
  days: string[]; // YYYY-MM-DD
  counts: number[];
  cumulative: number[];
}

const DAY_MS = 24 * 3600 * 1000;

function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function dailySignups(byDay: readonly DayCount[]): DailySeries {
  const known = new Map<string, number>();
  for (const d of byDay) known.set(d.day, (known.get(d.day) ?? 0) + d.signups);
  const given = [...known.keys()].filter((d) => !Number.isNaN(dayMs(d))).sort();
  let days = given;
  if (given.length > 1) {
    const first = dayMs(given[0]);
    const span = Math.round((dayMs(given[given.length - 1]) - first) / DAY_MS) + 1;
    if (span <= MAX_FILLED_DAYS) {
      days = Array.from({ length: span }, (_, i) => new Date(first + i * DAY_MS).toISOString().slice(0, 10));
    }
  }
  const counts = days.map((d) => known.get(d) ?? 0);
  let total = 0;
  const cumulative = counts.map((c) => (total += c));
  return { days, counts, cumulative };
}

/** "3 Dec" for a UTC day (the year too when `withYear`). */
export function dayLabel(day: string, withYear = false): string {
  const ms = dayMs(day);
  if (Number.isNaN(ms)) return day;
  return new Date(ms).toLocaleDateString(undefined, {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    year: withYear ? "numeric" : undefined,
  });
}

/** "Dec 2026" for a UTC month "2026-12". */
export function monthLabel(month: string): string {
  const ms = Date.parse(`${month}-01T00:00:00Z`);
  if (Number.isNaN(ms)) return month;
  return new Date(ms).toLocaleDateString(undefined, { timeZone: "UTC", month: "short", year: "numeric" });
}

export interface MonthlyMoney {
  currency: string;
  test: boolean;
  months: string[]; // YYYY-MM, every month from the first to the last
  // In major units (12.5 for €12.50), for the chart's axis; minor units stay in the tables.
  gross: number[];
  refunds: number[];
  net: number[];
}

function nextMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

/** One series per currency, real money first, then test (sandbox) money, each by currency. */
export function monthlyRevenue(byMonth: readonly MonthRevenue[]): MonthlyMoney[] {
  const groups = new Map<string, MonthRevenue[]>();
  for (const row of byMonth) {
    if (!/^\d{4}-\d{2}$/.test(row.month)) continue;
    const key = `${row.test ? 1 : 0}|${row.currency}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.keys()].sort().map((key) => {
    const rows = groups.get(key) ?? [];
    const { currency, test } = rows[0];
    const scale = 10 ** currencyDigits(currency);
    const sorted = rows.map((r) => r.month).sort();
    const months: string[] = [];
    // Capped like the days, so a stray far-off month cannot make a huge axis.
    for (let m = sorted[0]; m <= sorted[sorted.length - 1] && months.length < 240; m = nextMonth(m)) months.push(m);
    const sum = (m: string, pick: (r: MonthRevenue) => number) =>
      rows.filter((r) => r.month === m).reduce((acc, r) => acc + pick(r), 0) / scale;
    return {
      currency,
      test,
      months,
      gross: months.map((m) => sum(m, (r) => r.gross)),
      refunds: months.map((m) => sum(m, (r) => r.refunds)),
      net: months.map((m) => sum(m, (r) => r.net)),
    };
  });
}
