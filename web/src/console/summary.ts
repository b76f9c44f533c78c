// The plain-language line at the top of each report ("14 sign-ups, 11 attended, 2 no-shows;
// €180.00 net"). Real money and sandbox (test) money are never added together, as on the
// server: test money is named as such, and only when there is no real money to speak of.

import { formatAmount } from "../format";
import type { ActivityReport, Money, Revenue, RevenueRow } from "./wire";

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function moneyText(rows: readonly Money[]): string {
  const real = rows.filter((r) => !r.test);
  if (real.length) return `${joinAnd(real.map((r) => formatAmount(r.net, r.currency)))} net`;
  const test = rows.filter((r) => r.test);
  if (test.length) return `${joinAnd(test.map((r) => formatAmount(r.net, r.currency)))} net in test payments (no money moved)`;
  return "";
}

export function activitySummary(r: ActivityReport): string {
  const parts = [plural(r.signups, "sign-up")];
  if (r.cancelled) {
    parts.push("the activity was cancelled");
  } else if (r.ended) {
    parts.push(`${r.funnel.attended} attended`);
    if (r.no_shows !== null) parts.push(plural(r.no_shows, "no-show"));
  } else {
    parts.push(`${r.funnel.confirmed} confirmed`);
    if (r.waitlist.current > 0) parts.push(`${r.waitlist.current} on the waitlist`);
  }
  if (r.cancellations.count > 0) {
    const late = r.cancellations.late > 0 ? ` (${r.cancellations.late} late)` : "";
    parts.push(`${plural(r.cancellations.count, "cancellation")}${late}`);
  }
  const money = moneyText(r.payments);
  return `${parts.join(", ")}${money ? `; ${money}` : ""}.`;
}

function totalText(rows: readonly RevenueRow[]): string {
  return joinAnd(
    rows.map((t) => {
      const detail = [`${formatAmount(t.gross, t.currency)} in`, `${formatAmount(t.refunds, t.currency)} refunded`];
      if (t.fees) detail.push(`${formatAmount(t.fees, t.currency)} fees`);
      return `${formatAmount(t.net, t.currency)} net (${detail.join(", ")})`;
    }),
  );
}

export function revenueSummary(r: Revenue): string {
  const real = r.totals.filter((t) => !t.test);
  const test = r.totals.filter((t) => t.test);
  const sentences: string[] = [];
  if (real.length) {
    const activities = new Set(r.by_activity.filter((a) => !a.test).map((a) => a.activity_id)).size;
    sentences.push(`${totalText(real)} from ${plural(activities, "activity", "activities")}`);
  } else {
    sentences.push("No real money yet");
  }
  if (r.outstanding.length) {
    sentences.push(`${plural(r.outstanding.length, "bank transfer")} to review`);
  }
  if (test.length) {
    sentences.push(`test payments apart (no money moved): ${joinAnd(test.map((t) => formatAmount(t.net, t.currency)))} net`);
  }
  return `${sentences.join("; ")}.`;
}
