// The organiser console for a circle's money (#/circle/<id>/revenue): a plain-language summary,
// money per month as a chart (one per currency; sandbox money apart), the tables per month,
// activity and provider with sorting and a CSV download each, bank transfers waiting for review,
// and the full ledger as CSV from the server. Owners and admins only: the server decides, and
// anyone else sees its refusal.

import { ApiError, api, describeError } from "../api";
import { downloadWithToken, reportsApi } from "../console/api";
import { ACTIVITY_COLUMNS, MONTH_COLUMNS, OUTSTANDING_COLUMNS, PROVIDER_COLUMNS } from "../console/columns";
import { monthLabel, monthlyRevenue } from "../console/series";
import { revenueSummary } from "../console/summary";
import type { Revenue } from "../console/wire";
import { h, replaceChildren, userText } from "../dom";
import { currencyDigits, formatAmount } from "../format";
import { circlePageHash, circlePeopleHash, circleReportHash } from "../router";
import { palette, seriesChart, type ChartView } from "./consoleChart";
import { sortableTable } from "./consoleTable";
import type { View } from "./view";

export function consoleRevenueView(circleId: string): View {
  const title = h("h1", {}, "Revenue");
  const error = h("p", { class: "error", testid: "console-error", attrs: { role: "alert" } });
  const summary = h("p", { class: "console-summary", testid: "console-summary" });
  const body = h("div", { class: "console-body" });
  const ledgerError = h("span", { class: "error", testid: "console-ledger-error" });
  const ledger = h(
    "button",
    {
      testid: "console-ledger-csv",
      attrs: { type: "button" },
      on: {
        click: async () => {
          ledgerError.textContent = "";
          try {
            await downloadWithToken(reportsApi.ledgerPath(circleId), `ledger-${circleId}.csv`);
          } catch (err) {
            ledgerError.textContent = describeError(err);
          }
        },
      },
    },
    "Download the ledger (CSV)",
  );
  const tools = h(
    "div",
    { class: "tool-buttons" },
    h("a", { class: "button", testid: "console-report-link", attrs: { href: circleReportHash(circleId) } }, "Circle report"),
    h("a", { class: "button", testid: "console-people-link", attrs: { href: circlePeopleHash(circleId) } }, "Members"),
    ledger,
    h("button", { testid: "console-refresh", attrs: { type: "button" }, on: { click: () => load() } }, "Refresh"),
    ledgerError,
  );
  const el = h(
    "section",
    { class: "pane console", testid: "console-revenue", dataset: { circleId } },
    h("div", { class: "crumbs" }, h("a", { testid: "console-back", attrs: { href: circlePageHash(circleId) } }, "← Circle")),
    h("header", { class: "pane-header" }, title, tools),
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
      const revenue = await reportsApi.revenue(circleId);
      error.textContent = "";
      draw(revenue);
      tools.hidden = false;
      el.dataset.state = "ready";
      delete el.dataset.code;
    } catch (err) {
      clearCharts();
      replaceChildren(body);
      summary.textContent = "";
      tools.hidden = true;
      error.textContent = describeError(err);
      el.dataset.state = "refused";
      el.dataset.code = err instanceof ApiError ? err.code : "unavailable";
    }
  }

  function draw(r: Revenue): void {
    summary.textContent = revenueSummary(r);
    clearCharts();
    charts = monthlyRevenue(r.by_month).map((s, i) => {
      const money = (v: number) => formatAmount(Math.round(v * 10 ** currencyDigits(s.currency)), s.currency);
      return seriesChart(
        i === 0 ? "console-revenue-chart" : `console-revenue-chart-${i}`,
        `${s.currency} per month (UTC)${s.test ? ": test payments, no money moved" : ""}`,
        s.months.map(monthLabel),
        [
          { label: "Gross", values: s.gross, kind: "bar", color: palette.accent() },
          { label: "Refunds", values: s.refunds, kind: "bar", color: palette.danger() },
          { label: "Net", values: s.net, kind: "line", color: palette.good() },
        ],
        money,
      );
    });
    const file = (part: string) => ["revenue", circleId, part];
    replaceChildren(
      body,
      ...(charts.length ? charts.map((c) => c.el) : [h("p", { class: "muted", testid: "console-no-revenue" }, "No payments yet.")]),
      sortableTable({ testid: "console-by-month", title: "Per month", columns: MONTH_COLUMNS, rows: r.by_month, file: file("by-month"), empty: "No payments yet.", initial: { key: "month", dir: "asc" } }),
      sortableTable({
        testid: "console-by-activity",
        title: "Per activity",
        columns: ACTIVITY_COLUMNS,
        rows: r.by_activity,
        file: file("by-activity"),
        empty: "No payments yet.",
        userColumns: ["title"],
      }),
      sortableTable({ testid: "console-by-provider", title: "Per provider", columns: PROVIDER_COLUMNS, rows: r.by_provider, file: file("by-provider"), empty: "No payments yet." }),
      sortableTable({
        testid: "console-outstanding",
        title: "Bank transfers to review",
        columns: OUTSTANDING_COLUMNS,
        rows: r.outstanding,
        file: file("to-review"),
        empty: "Nothing waiting for review.",
        userColumns: ["activity", "payer", "reference"],
      }),
    );
  }

  // The circle's name for the title (the report carries only its id); a failure keeps "Revenue".
  api
    .getCircle(circleId)
    .then(({ circle }) => replaceChildren(title, "Revenue: ", userText(circle.name, "console-title")))
    .catch(() => undefined);
  void load();
  return { el, dispose: clearCharts };
}
