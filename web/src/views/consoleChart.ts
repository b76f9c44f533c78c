// Charts of the organiser console, drawn by Chart.js (npm `chart.js`, on a <canvas>; it writes
// no <style> element, so the CSP's style-src 'self' holds); consoleChartLib.ts registers the
// bar and line parts.

import type { Chart, ChartDataset } from "chart.js";
import { h } from "../dom";

// Loaded on first use, as its own chunk: only organisers open the console, so everyone else's
// page does not carry the chart library.
let loading: Promise<typeof Chart> | null = null;

function loadChart(): Promise<typeof Chart> {
  loading ??= import("./consoleChartLib").then((m) => m.Chart);
  loading.catch(() => (loading = null));
  return loading;
}

export interface ChartView {
  el: HTMLElement;
  destroy: () => void;
}

export interface Series {
  label: string;
  values: number[];
  kind: "bar" | "line";
  color: string;
  /** A second y axis on the right (a running total next to daily counts). */
  right?: boolean;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export const palette = {
  accent: () => cssVar("--accent", "#4f5bd5"),
  danger: () => cssVar("--danger", "#c2374b"),
  good: () => cssVar("--online", "#2fb36d"),
  muted: () => cssVar("--muted", "#6b7385"),
};

/**
 * A bar/line chart over category labels. `format` writes a value in the tooltip and on the
 * axis (money as money). Animation is off: the chart is drawn at once, which also makes it
 * ready when the view says so (data-ready, for tests and screen readers' summary text).
 */
export function seriesChart(
  testid: string,
  caption: string,
  labels: string[],
  series: Series[],
  format: (value: number) => string = String,
): ChartView {
  const canvas = h("canvas", { testid: `${testid}-canvas`, attrs: { role: "img", "aria-label": caption } });
  const el = h("figure", { class: "console-chart", testid }, h("div", { class: "console-chart-box" }, canvas), h("figcaption", { class: "muted" }, caption));
  const text = cssVar("--text", "#1d2330");
  const grid = cssVar("--line", "#e3e6ee");
  const twoAxes = series.some((s) => s.right);
  const datasets = series.map(
    (s): ChartDataset<"bar" | "line", number[]> => ({
      type: s.kind,
      label: s.label,
      data: s.values,
      backgroundColor: s.color,
      borderColor: s.color,
      yAxisID: s.right ? "y1" : "y",
      ...(s.kind === "line" ? { tension: 0.2, pointRadius: 2 } : {}),
    }),
  );
  let chart: Chart<"bar" | "line", number[], string> | null = null;
  let destroyed = false;
  // Chart.js measures its parent, so it is built once the figure is in the page.
  void loadChart().then((ChartJs) => {
    if (destroyed) return;
    chart = new ChartJs<"bar" | "line", number[], string>(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { labels: { color: text } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ""}: ${format(Number(ctx.parsed.y))}` } },
        },
        scales: {
          x: { ticks: { color: text }, grid: { color: grid } },
          y: { beginAtZero: true, ticks: { color: text, precision: 0, callback: (v) => format(Number(v)) }, grid: { color: grid } },
          ...(twoAxes
            ? { y1: { position: "right" as const, beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { drawOnChartArea: false } } }
            : {}),
        },
      },
    });
    el.dataset.ready = "true";
  }).catch((err: unknown) => {
    console.warn("chart", err);
    el.dataset.ready = "failed";
    canvas.replaceWith(h("p", { class: "error" }, "The chart could not be drawn; the tables below hold the same numbers."));
  });
  return {
    el,
    destroy: () => {
      destroyed = true;
      chart?.destroy();
      chart = null;
    },
  };
}
