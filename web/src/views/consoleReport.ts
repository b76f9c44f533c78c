// The circle report (#/circle/<id>/report?period=&from=&to=): a plain-language summary whose
// "say hello?" opens the members page filtered to the newcomers not yet activated, a period and
// range picker (kept in the hash), charts of members, activity, conversation, reply speed and
// newcomer activation, and the same numbers as sortable tables with CSV, retention cohorts
// shaded. Owners and admins only: the server decides, anyone else sees its refusal.

import { ApiError, api, describeError } from "../api";
import { circleSummary } from "../console/circleSummary";
import { HELLO_SEGMENT, NO_FILTER } from "../console/people";
import { peopleApi } from "../console/peopleApi";
import { bucketLabels, cohortColumns, cohortShare, memberColumns, reportSeries, shadeLevel, talkColumns } from "../console/reportRows";
import type { CircleReport } from "../console/wire";
import { h, replaceChildren, userText } from "../dom";
import { circlePageHash, circlePeopleHash, circleReportHash, navigate, type ReportRange } from "../router";
import { palette, seriesChart, type ChartView } from "./consoleChart";
import { selectableTable } from "./consolePeopleTable";
import type { View } from "./view";

const PER: Record<ReportRange["period"], string> = { day: "per day", week: "per week", month: "per month" };

function rangePicker(circleId: string, range: ReportRange): HTMLElement {
  const period = h(
    "select",
    { testid: "report-period", attrs: { "aria-label": "Period" } },
    ...(["day", "week", "month"] as const).map((p) => h("option", { attrs: { value: p, selected: p === range.period } }, `By ${p}`)),
  );
  const from = h("input", { testid: "report-from", attrs: { type: "date", value: range.from ?? "", "aria-label": "From" } });
  const to = h("input", { testid: "report-to", attrs: { type: "date", value: range.to ?? "", "aria-label": "To" } });
  return h(
    "form",
    {
      class: "console-range",
      testid: "report-range",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const p = period.value === "week" || period.value === "month" ? period.value : "day";
          navigate(circleReportHash(circleId, { period: p, from: from.value || null, to: to.value || null }));
        },
      },
    },
    period,
    h("label", {}, "From ", from),
    h("label", {}, "to ", to),
    h("button", { testid: "report-apply", attrs: { type: "submit" } }, "Show"),
  );
}

export function consoleReportView(circleId: string, range: ReportRange): View {
  const title = h("h1", {}, "Circle report");
  const error = h("p", { class: "error", testid: "console-error", attrs: { role: "alert" } });
  const summary = h("p", { class: "console-summary", testid: "console-summary" });
  const body = h("div", { class: "console-body" });
  const tools = h(
    "div",
    { class: "tool-buttons" },
    h("a", { class: "button", testid: "report-people", attrs: { href: circlePeopleHash(circleId, NO_FILTER) } }, "Members"),
    h("button", { testid: "console-refresh", attrs: { type: "button" }, on: { click: () => load() } }, "Refresh"),
  );
  const el = h(
    "section",
    { class: "pane console", testid: "console-report", dataset: { circleId, period: range.period } },
    h("div", { class: "crumbs" }, h("a", { testid: "console-back", attrs: { href: circlePageHash(circleId) } }, "← Circle")),
    h("header", { class: "pane-header" }, title, tools),
    rangePicker(circleId, range),
    error,
    summary,
    body,
  );
  let charts: ChartView[] = [];
  tools.hidden = true;

  function clearCharts(): void {
    charts.forEach((c) => c.destroy());
    charts = [];
  }

  async function load(): Promise<void> {
    el.dataset.state = "loading";
    try {
      const report = await peopleApi.circleReport(circleId, range);
      error.textContent = "";
      draw(report);
      tools.hidden = false;
      el.dataset.state = "ready";
      delete el.dataset.code;
    } catch (err) {
      clearCharts();
      replaceChildren(body);
      replaceChildren(summary);
      tools.hidden = true;
      error.textContent = describeError(err);
      el.dataset.state = "refused";
      el.dataset.code = err instanceof ApiError ? err.code : "unavailable";
    }
  }

  function drawSummary(r: CircleReport): void {
    const s = circleSummary(r, new Date().toISOString().slice(0, 10));
    el.dataset.hello = String(s.hello);
    replaceChildren(
      summary,
      s.head,
      s.hello > 0 ? " — " : ".",
      s.hello > 0
        ? h("a", { testid: "console-say-hello", attrs: { href: circlePeopleHash(circleId, { ...NO_FILTER, segment: HELLO_SEGMENT }) } }, "say hello?")
        : null,
      s.tail ? ` ${s.tail}` : "",
    );
  }

  function draw(r: CircleReport): void {
    drawSummary(r);
    clearCharts();
    const labels = bucketLabels(r);
    const s = reportSeries(r);
    const per = PER[r.period];
    const mins = (v: number) => (Number.isNaN(v) ? "–" : `${v} min`);
    if (r.buckets.length) {
      charts = [
        seriesChart("report-members-chart", `Members joined, left and net ${per}; members at the end (right axis)`, labels, [
          { label: "Joined", values: s.joined, kind: "bar", color: palette.good() },
          { label: "Left", values: s.left, kind: "bar", color: palette.danger() },
          { label: "Net", values: s.net, kind: "line", color: palette.accent() },
          { label: "Members", values: s.members, kind: "line", color: palette.muted(), right: true },
        ]),
        seriesChart("report-active-chart", `Active members: DAU, WAU, MAU ${per}; stickiness in % (right axis)`, labels, [
          { label: "DAU", values: s.dau, kind: "bar", color: palette.accent() },
          { label: "WAU", values: s.wau, kind: "line", color: palette.good() },
          { label: "MAU", values: s.mau, kind: "line", color: palette.muted() },
          { label: "Stickiness %", values: s.stickiness, kind: "line", color: palette.danger(), right: true },
        ]),
        seriesChart("report-messages-chart", `Messages ${per}; speakers and silent members (right axis)`, labels, [
          { label: "Messages", values: s.messages, kind: "bar", color: palette.accent() },
          { label: "Speakers", values: s.speakers, kind: "line", color: palette.good(), right: true },
          { label: "Silent", values: s.silent, kind: "line", color: palette.muted(), right: true },
        ]),
        seriesChart(
          "report-reply-chart",
          `Reply speed ${per} in minutes (median and 90th percentile); reply ratio in % (right axis)`,
          labels,
          [
            { label: "Median", values: s.medianMinutes, kind: "bar", color: palette.accent() },
            { label: "P90", values: s.p90Minutes, kind: "bar", color: palette.muted() },
            { label: "Reply ratio %", values: s.replyRatio, kind: "line", color: palette.good(), right: true },
          ],
          mins,
        ),
        seriesChart("report-activation-chart", `Newcomers and those activated within 7 days ${per}; activation in % (right axis)`, labels, [
          { label: "Newcomers", values: s.newcomers, kind: "bar", color: palette.accent() },
          { label: "Activated", values: s.activated, kind: "bar", color: palette.good() },
          { label: "Activation %", values: s.activation, kind: "line", color: palette.danger(), right: true },
        ]),
      ];
    }
    const file = (part: string) => ["circle-report", circleId, r.period, part];
    const cohorts = cohortColumns();
    replaceChildren(
      body,
      h("p", { class: "muted", testid: "report-span" }, `${r.start} to ${r.end} (UTC), ${per}`),
      ...(charts.length ? charts.map((c) => c.el) : [h("p", { class: "muted" }, "Nothing in this range.")]),
      selectableTable({ testid: "report-members", title: "Members and activity", columns: memberColumns(r.period), rows: r.buckets, file: file("members"), empty: "Nothing in this range.", initial: { key: "start", dir: "asc" } }).el,
      selectableTable({ testid: "report-talk", title: "Conversation, replies and newcomers", columns: talkColumns(r.period), rows: r.buckets, file: file("conversation"), empty: "Nothing in this range.", initial: { key: "start", dir: "asc" } }).el,
      selectableTable({
        testid: "report-cohorts",
        title: "Retention by join week (active in week 1…8 after joining)",
        columns: cohorts,
        rows: r.cohorts,
        file: file("cohorts"),
        empty: "No newcomers in this range.",
        initial: { key: "week", dir: "asc" },
        shade: (c, row) => {
          const m = /^w(\d)$/.exec(c.key);
          return m ? shadeLevel(cohortShare(row, Number(m[1]))) : null;
        },
      }).el,
    );
  }

  api
    .getCircle(circleId)
    .then(({ circle }) => replaceChildren(title, "Circle report: ", userText(circle.name, "console-title")))
    .catch(() => undefined);
  void load();
  return { el, dispose: clearCharts };
}
