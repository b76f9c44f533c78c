// The organiser console for one activity (#/activity/<id>/report): a plain-language summary,
// sign-ups per day as a chart, then the funnel, waitlist and offers, cancellations,
// re-confirmation, no-shows, money and referral sources as tables. The server decides who may
// read it (the organiser and the circle's owners/admins); anyone else sees its refusal.

import { describeError, ApiError, api } from "../api";
import { reportsApi } from "../console/api";
import { FUNNEL_COLUMNS, REFERRAL_COLUMNS, funnelRows, noticeText, referralRows } from "../console/activityRows";
import { ACTIVITY_MONEY_COLUMNS } from "../console/columns";
import { dailySignups, dayLabel } from "../console/series";
import { activitySummary, plural } from "../console/summary";
import type { ActivityReport } from "../console/wire";
import { h, replaceChildren, userText } from "../dom";
import { formatWhen } from "../format";
import { activityHash, circlePeopleHash, circleReportHash } from "../router";
import { palette, seriesChart, type ChartView } from "./consoleChart";
import { factsTable, sortableTable } from "./consoleTable";
import type { View } from "./view";

export function consoleActivityView(activityId: string): View {
  const title = h("h1", {}, "Activity report");
  const error = h("p", { class: "error", testid: "console-error", attrs: { role: "alert" } });
  const summary = h("p", { class: "console-summary", testid: "console-summary" });
  const body = h("div", { class: "console-body" });
  const crumbs = h("div", { class: "crumbs" }, h("a", { testid: "console-back", attrs: { href: activityHash(activityId) } }, "← Activity"));
  const refresh = h("button", { testid: "console-refresh", attrs: { type: "button" }, on: { click: () => load() } }, "Refresh");
  const el = h(
    "section",
    { class: "pane console", testid: "console-activity", dataset: { activityId } },
    crumbs,
    h("header", { class: "pane-header" }, title, refresh),
    error,
    summary,
    body,
  );
  let chart: ChartView | null = null;

  async function load(): Promise<void> {
    el.dataset.state = "loading";
    try {
      const report = await reportsApi.activityReport(activityId);
      error.textContent = "";
      draw(report);
      circleLinks(report.circle_id);
      el.dataset.state = "ready";
      delete el.dataset.code;
    } catch (err) {
      chart?.destroy();
      chart = null;
      replaceChildren(body);
      summary.textContent = "";
      error.textContent = describeError(err);
      el.dataset.state = "refused";
      el.dataset.code = err instanceof ApiError ? err.code : "unavailable";
    }
  }

  function draw(r: ActivityReport): void {
    replaceChildren(title, "Report: ", userText(r.title, "console-title"));
    summary.textContent = activitySummary(r);
    chart?.destroy();
    const series = dailySignups(r.signups_by_day);
    const manyYears = new Set(series.days.map((d) => d.slice(0, 4))).size > 1;
    chart = series.days.length
      ? seriesChart(
          "console-signups-chart",
          `Sign-ups per day (UTC), ${plural(r.signups, "sign-up")} in all`,
          series.days.map((d) => dayLabel(d, manyYears)),
          [
            { label: "Sign-ups", values: series.counts, kind: "bar", color: palette.accent() },
            { label: "Running total", values: series.cumulative, kind: "line", color: palette.good(), right: true },
          ],
        )
      : null;
    const c = r.cancellations;
    replaceChildren(
      body,
      h("p", { class: "muted" }, `Starts ${formatWhen(r.starts_at)}`, r.cancelled ? " · cancelled" : r.ended ? " · ended" : ""),
      chart ? chart.el : h("p", { class: "muted", testid: "console-no-signups" }, "No sign-ups yet."),
      sortableTable({ testid: "console-funnel", title: "Funnel", columns: FUNNEL_COLUMNS, rows: funnelRows(r), file: ["funnel", r.title], empty: "" }),
      factsTable("console-waitlist", "Waitlist and offers", [
        ["On the waitlist now", String(r.waitlist.current), "current"],
        ["Ever on the waitlist", String(r.waitlist.ever), "ever"],
        ["Seats offered", String(r.offers.made), "made"],
        ["Offers claimed", String(r.offers.claimed), "claimed"],
        ["Offers declined", String(r.offers.declined), "declined"],
        ["Offers expired", String(r.offers.expired), "expired"],
        ["Offers open", String(r.offers.open), "open"],
        ["Unpaid holds that ran out", String(r.holds_expired), "holds_expired"],
      ]),
      factsTable("console-cancellations", "Cancellations", [
        ["Cancellations", String(c.count), "count"],
        ["Late (under 24 h before the start)", String(c.late), "late"],
        ["Median notice", c.median_hours_before_start === null ? "–" : noticeText(c.median_hours_before_start), "median"],
        ["Each, most notice first", c.hours_before_start.map(noticeText).join(", ") || "–", "each"],
        ["Asked to re-confirm after a change", String(r.reconfirmation.asked), "asked"],
        ["Re-confirmed", String(r.reconfirmation.reconfirmed), "reconfirmed"],
      ]),
      factsTable("console-attendance", "Attendance", [
        ["Checked in", String(r.funnel.attended), "attended"],
        ["No-shows", r.no_shows === null ? (r.cancelled ? "– (cancelled)" : "after the activity ends") : String(r.no_shows), "no_shows"],
        ["No-show rate", r.no_show_rate === null ? "–" : `${Math.round(r.no_show_rate * 100)}%`, "no_show_rate"],
      ]),
      sortableTable({
        testid: "console-money",
        title: "Money",
        columns: ACTIVITY_MONEY_COLUMNS,
        rows: r.payments,
        file: ["payments", r.title],
        empty: "No payments (a free activity, or nobody has paid yet).",
      }),
      sortableTable({
        testid: "console-referrals",
        title: `Referral sources (${plural(r.referrals.total, "sign-up")} from shares)`,
        columns: REFERRAL_COLUMNS,
        rows: referralRows(r),
        file: ["referrals", r.title],
        empty: "",
      }),
    );
  }

  /** The circle's report and members, for its owners/admins (the activity's organiser may be
   * neither, and would only meet the server's refusal there). */
  function circleLinks(circleId: string): void {
    if (crumbs.querySelector('[data-testid="console-circle-report"]')) return;
    api
      .getCircle(circleId)
      .then(({ circle }) => {
        if (circle.my_role !== "owner" && circle.my_role !== "admin") return;
        if (crumbs.querySelector('[data-testid="console-circle-report"]')) return;
        crumbs.append(
          " · ",
          h("a", { testid: "console-circle-report", attrs: { href: circleReportHash(circleId) } }, "Circle report"),
          " · ",
          h("a", { testid: "console-circle-people", attrs: { href: circlePeopleHash(circleId) } }, "Members"),
        );
      })
      .catch(() => undefined);
  }

  void load();
  return { el, dispose: () => chart?.destroy() };
}
