// The plain-language lines at the top of the circle report ("12 new members this week, 2 left;
// 5 have not said anything yet — say hello? 148 messages; 9 of 12 questions answered ..."),
// from the report alone (pure, tested). The recent window is the last 7 days for a daily
// report, else the last week or month; counts that add up are summed over it, a median is only
// quoted for a single bucket (medians of days do not add up).

import { dayLabel, monthLabel } from "./series";
import { plural } from "./summary";
import type { CircleBucket, CircleReport } from "./wire";

export interface CircleSummary {
  /** "12 new members this week, 2 left; 5 have not said anything yet" */
  head: string;
  /** Newcomers of the window not yet activated: the view links "say hello?" when above 0. */
  hello: number;
  /** The sentences after it (messages, replies, stickiness). */
  tail: string;
}

const DAY_MS = 24 * 3600 * 1000;

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** "4 min", "45 s", "2 h 10 min", "3 d 4 h": a wait, rounded to what a reader cares about. */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** The buckets the summary speaks of, and how it names them. */
export function recentWindow(r: CircleReport, today: string): { buckets: CircleBucket[]; label: string } {
  const last = r.buckets[r.buckets.length - 1];
  if (!last) return { buckets: [], label: "" };
  const current = last.end >= today;
  if (r.period === "day") {
    const from = addDays(last.end, -6);
    const buckets = r.buckets.filter((b) => b.start >= from);
    return { buckets, label: current ? "in the last 7 days" : `in the 7 days to ${dayLabel(last.end)}` };
  }
  if (r.period === "week") return { buckets: [last], label: current ? "this week" : `in the week of ${dayLabel(last.start)}` };
  return { buckets: [last], label: current ? "this month" : `in ${monthLabel(last.start.slice(0, 7))}` };
}

const sum = (bs: readonly CircleBucket[], pick: (b: CircleBucket) => number) => bs.reduce((acc, b) => acc + pick(b), 0);

export function circleSummary(r: CircleReport, today: string): CircleSummary {
  const { buckets, label } = recentWindow(r, today);
  if (!buckets.length) return { head: "No data for this range", hello: 0, tail: "" };
  const newcomers = sum(buckets, (b) => b.newcomers);
  const left = sum(buckets, (b) => b.left);
  const quiet = newcomers - sum(buckets, (b) => b.activated);
  let head = newcomers ? `${plural(newcomers, "new member")} ${label}` : `No new members ${label}`;
  if (left) head += `, ${left} left`;
  if (quiet > 0) head += `; ${quiet} ${quiet === 1 ? "has" : "have"} not said anything yet`;

  const sentences: string[] = [];
  const messages = sum(buckets, (b) => b.messages);
  const last = buckets[buckets.length - 1];
  const talk = [plural(messages, "message")];
  // Speakers are distinct people per bucket: they are quoted for a single bucket only.
  if (buckets.length === 1) talk.push(`from ${plural(last.speakers, "speaker")}`);
  sentences.push(talk.join(" "));
  const prompts = sum(buckets, (b) => b.reply_speed.prompts);
  if (prompts) {
    const answered = sum(buckets, (b) => b.reply_speed.answered);
    let replies = `${answered} of ${plural(prompts, "question")} answered`;
    const rs = last.reply_speed;
    if (buckets.length === 1 && rs.median_seconds !== null && rs.p90_seconds !== null) {
      replies += ` (median ${durationText(rs.median_seconds)}, 90% within ${durationText(rs.p90_seconds)})`;
    }
    sentences.push(replies);
  }
  if (last.stickiness !== null) sentences.push(`stickiness (DAU/MAU) ${Math.round(last.stickiness * 100)}%`);
  const tail = `${sentences.join("; ")}.`;
  return { head, hello: Math.max(0, quiet), tail: tail.charAt(0).toUpperCase() + tail.slice(1) };
}

/** The summary as one line of text (what the page shows, "say hello?" included). */
export function summaryText(s: CircleSummary): string {
  const hello = s.hello > 0 ? " — say hello?" : ".";
  return s.tail ? `${s.head}${hello} ${s.tail}` : `${s.head}${hello}`;
}
