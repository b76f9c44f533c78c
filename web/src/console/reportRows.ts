// The circle report's charts and tables as data (pure, tested): a label per bucket, the chart
// series (a number where the server has none is NaN, which Chart.js leaves as a gap), the
// per-bucket tables and the retention cohorts with each cell's share of its week's newcomers.

import { durationText } from "./circleSummary";
import { dayLabel, monthLabel } from "./series";
import type { Column } from "./table";
import type { CircleBucket, CircleReport, Cohort, Period } from "./wire";

/** "3 Dec", "Week of 1 Dec", "Dec 2026" (the year too when the report spans several). */
export function bucketLabel(b: CircleBucket, period: Period, withYear = false): string {
  if (period === "month") return monthLabel(b.start.slice(0, 7));
  if (period === "week") return `Week of ${dayLabel(b.start, withYear)}`;
  return dayLabel(b.start, withYear);
}

export function bucketLabels(r: CircleReport): string[] {
  const years = new Set(r.buckets.map((b) => b.start.slice(0, 4))).size > 1;
  return r.buckets.map((b) => bucketLabel(b, r.period, years));
}

const percent = (v: number | null) => (v === null ? Number.NaN : Math.round(v * 1000) / 10);
const minutes = (v: number | null) => (v === null ? Number.NaN : Math.round(v / 6) / 10);

export interface ReportSeries {
  joined: number[];
  left: number[];
  net: number[];
  members: number[];
  dau: number[];
  wau: number[];
  mau: number[];
  stickiness: number[]; // percent
  messages: number[];
  speakers: number[];
  silent: number[];
  medianMinutes: number[];
  p90Minutes: number[];
  replyRatio: number[]; // percent
  newcomers: number[];
  activated: number[];
  activation: number[]; // percent
}

export function reportSeries(r: CircleReport): ReportSeries {
  const b = r.buckets;
  return {
    joined: b.map((x) => x.joined),
    left: b.map((x) => x.left),
    net: b.map((x) => x.net),
    members: b.map((x) => x.members),
    dau: b.map((x) => x.dau),
    wau: b.map((x) => x.wau),
    mau: b.map((x) => x.mau),
    stickiness: b.map((x) => percent(x.stickiness)),
    messages: b.map((x) => x.messages),
    speakers: b.map((x) => x.speakers),
    silent: b.map((x) => x.silent),
    medianMinutes: b.map((x) => minutes(x.reply_speed.median_seconds)),
    p90Minutes: b.map((x) => minutes(x.reply_speed.p90_seconds)),
    replyRatio: b.map((x) => percent(x.reply_speed.ratio)),
    newcomers: b.map((x) => x.newcomers),
    activated: b.map((x) => x.activated),
    activation: b.map((x) => percent(x.activation)),
  };
}

/** A share (0..1) as "42%", or "–" without one. */
export function shareText(v: number | null): string {
  return v === null ? "–" : `${Math.round(v * 100)}%`;
}

const PERIOD_NAME: Record<Period, string> = { day: "Day", week: "Week of", month: "Month" };

function count(key: string, label: string, pick: (b: CircleBucket) => number): Column<CircleBucket> {
  return { key, label, numeric: true, sort: pick };
}

function share(key: string, label: string, pick: (b: CircleBucket) => number | null): Column<CircleBucket> {
  return { key, label, numeric: true, sort: pick, text: (b) => shareText(pick(b)) };
}

function wait(key: string, label: string, pick: (b: CircleBucket) => number | null): Column<CircleBucket> {
  const text = (b: CircleBucket) => {
    const v = pick(b);
    return v === null ? "–" : durationText(v);
  };
  return { key, label, numeric: true, sort: pick, text, csv: pick };
}

function periodColumn(period: Period): Column<CircleBucket> {
  return {
    key: "start",
    label: PERIOD_NAME[period],
    sort: (b) => b.start,
    text: (b) => (period === "month" ? monthLabel(b.start.slice(0, 7)) : dayLabel(b.start, true)),
  };
}

/** Members and activity per bucket. */
export function memberColumns(period: Period): Column<CircleBucket>[] {
  return [
    periodColumn(period),
    count("joined", "Joined", (b) => b.joined),
    count("left", "Left", (b) => b.left),
    count("net", "Net", (b) => b.net),
    count("members", "Members", (b) => b.members),
    count("active", "Active", (b) => b.active),
    count("dau", "DAU", (b) => b.dau),
    count("wau", "WAU", (b) => b.wau),
    count("mau", "MAU", (b) => b.mau),
    share("stickiness", "Stickiness", (b) => b.stickiness),
  ];
}

/** Conversation, replies and newcomers per bucket. */
export function talkColumns(period: Period): Column<CircleBucket>[] {
  return [
    periodColumn(period),
    count("messages", "Messages", (b) => b.messages),
    count("deleted", "Deleted", (b) => b.deleted_messages),
    count("speakers", "Speakers", (b) => b.speakers),
    count("silent", "Silent", (b) => b.silent),
    count("prompts", "Questions", (b) => b.reply_speed.prompts),
    count("answered", "Answered", (b) => b.reply_speed.answered),
    share("ratio", "Reply ratio", (b) => b.reply_speed.ratio),
    wait("median", "Median reply", (b) => b.reply_speed.median_seconds),
    wait("p90", "P90 reply", (b) => b.reply_speed.p90_seconds),
    count("newcomers", "Newcomers", (b) => b.newcomers),
    count("activated", "Activated", (b) => b.activated),
    share("activation", "Activation", (b) => b.activation),
  ];
}

export const COHORT_WEEKS = 8;

/** A retention cell's share of its week's newcomers (0..1), null when not yet begun or none joined. */
export function cohortShare(c: Cohort, week: number): number | null {
  const n = c.retained[week - 1];
  if (n === null || n === undefined || c.joined === 0) return null;
  return n / c.joined;
}

/** The shade class of a cell: 0 (none) to 5 (all), by fifths; null for no share. */
export function shadeLevel(share: number | null): number | null {
  if (share === null) return null;
  return Math.min(5, Math.ceil(share * 5));
}

export function cohortColumns(): Column<Cohort>[] {
  const weeks = Array.from({ length: COHORT_WEEKS }, (_, i): Column<Cohort> => {
    const week = i + 1;
    return {
      key: `w${week}`,
      label: `Week ${week}`,
      numeric: true,
      sort: (c) => c.retained[i] ?? null,
      text: (c) => {
        const n = c.retained[i];
        if (n === null || n === undefined) return "";
        const s = cohortShare(c, week);
        return s === null ? String(n) : `${n} (${Math.round(s * 100)}%)`;
      },
    };
  });
  return [
    { key: "week", label: "Joined in the week of", sort: (c) => c.week, text: (c) => dayLabel(c.week, true) },
    { key: "joined", label: "Newcomers", numeric: true, sort: (c) => c.joined },
    ...weeks,
  ];
}
