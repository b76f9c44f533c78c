// The activity report's tables as rows (pure, tested): the funnel with each stage's share of
// the people who signed up, and referral sources per channel with share-page visitors.

import type { Column } from "./table";
import type { ActivityReport } from "./wire";

export interface FunnelRow {
  stage: string;
  people: number | null; // null: not counted (share-page views without Redis)
  /** Share of the people who signed up, in whole percent (null when nobody signed up). */
  percent: number | null;
}

export function funnelRows(r: ActivityReport): FunnelRow[] {
  const base = r.funnel.signed_up;
  const pct = (n: number | null) => (n === null || base === 0 ? null : Math.round((100 * n) / base));
  return [
    { stage: "Viewed (share page)", people: r.funnel.viewed, percent: null },
    { stage: "Signed up", people: r.funnel.signed_up, percent: pct(r.funnel.signed_up) },
    { stage: "Confirmed", people: r.funnel.confirmed, percent: pct(r.funnel.confirmed) },
    { stage: "Attended", people: r.funnel.attended, percent: pct(r.funnel.attended) },
  ];
}

export const FUNNEL_COLUMNS: Column<FunnelRow>[] = [
  { key: "stage", label: "Stage", sort: (r) => r.stage },
  { key: "people", label: "People", numeric: true, sort: (r) => r.people, text: (r) => (r.people === null ? "not counted" : String(r.people)) },
  { key: "percent", label: "Of sign-ups", numeric: true, sort: (r) => r.percent, text: (r) => (r.percent === null ? "" : `${r.percent}%`) },
];

export interface ReferralRow {
  channel: "link" | "poster" | "going";
  signups: number;
  visitors: number | null;
}

const CHANNELS = ["link", "poster", "going"] as const;

export function referralRows(r: ActivityReport): ReferralRow[] {
  const views = r.views.share_page;
  return CHANNELS.map((channel) => ({
    channel,
    signups: r.referrals.by_channel[channel],
    visitors: views ? views[channel] : null,
  }));
}

const CHANNEL_LABEL: Record<ReferralRow["channel"], string> = {
  link: "Share link",
  poster: "Poster (QR)",
  going: "\u201cI'm going\u201d share",
};

export const REFERRAL_COLUMNS: Column<ReferralRow>[] = [
  { key: "channel", label: "Source", sort: (r) => r.channel, text: (r) => CHANNEL_LABEL[r.channel] },
  { key: "visitors", label: "Share-page visitors", numeric: true, sort: (r) => r.visitors, text: (r) => (r.visitors === null ? "not counted" : String(r.visitors)) },
  { key: "signups", label: "Sign-ups", numeric: true, sort: (r) => r.signups },
];

/** "3.5 h", "2 d 4 h": how long before the start a cancellation came. */
export function noticeText(hours: number): string {
  if (hours < 48) return `${Math.round(hours * 10) / 10} h`;
  const days = Math.floor(hours / 24);
  const rest = Math.round(hours - days * 24);
  return rest ? `${days} d ${rest} h` : `${days} d`;
}
