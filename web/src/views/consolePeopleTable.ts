// A sortable table with a CSV download, like consoleTable.ts, with two additions the members
// page and the retention cohorts need: a checkbox per row with "Select all shown", and a shade
// class per cell (e.g. a cohort's retention). Sorting and CSV come from console/table.ts.

import { saveText } from "../console/api";
import { csvFileName } from "../console/csv";
import { toggleAll } from "../console/people";
import { cellText, nextSort, pageColumns, sortRows, tableCsv, type Column, type Sort } from "../console/table";
import { h, replaceChildren, userText } from "../dom";
import { sortHeader } from "./consoleTable";

export interface GridOptions<R> {
  testid: string;
  title: string;
  columns: Column<R>[];
  rows: R[];
  file: string[];
  empty: string;
  initial?: Sort | null;
  userColumns?: string[];
  /** Cells get the class `shade-<n>` (0..5) this answers (null: none). */
  shade?: (column: Column<R>, row: R) => number | null;
  /** Rows can be selected by this id; `onSelect` hears every change. */
  select?: {
    id: (row: R) => string;
    selected: () => ReadonlySet<string>;
    onSelect: (selected: Set<string>) => void;
    /** Rows that cannot be selected (the organiser's own: nobody messages themselves). */
    disabled?: (row: R) => boolean;
  };
}

export interface Grid {
  el: HTMLElement;
  /** Redraw the checkboxes after the selection changed from outside (e.g. cleared after a send). */
  refresh: () => void;
}

export function selectableTable<R>(opts: GridOptions<R>): Grid {
  let sort: Sort | null = opts.initial ?? null;
  const user = new Set(opts.userColumns ?? []);
  const columns = pageColumns(opts.columns);
  const head = h("tr");
  const body = h("tbody");
  const table = h("table", { class: "console-table", testid: `${opts.testid}-table` }, h("thead", {}, head), body);
  const shown = () => sortRows(opts.rows, opts.columns, sort);
  const download = h(
    "button",
    {
      class: "small",
      testid: `${opts.testid}-csv`,
      attrs: { type: "button", disabled: opts.rows.length === 0 },
      on: { click: () => saveText(tableCsv(opts.columns, shown()), csvFileName(...opts.file)) },
    },
    "Download CSV",
  );

  function cell(c: Column<R>, row: R): Node {
    const text = user.has(c.key) ? userText(cellText(c, row)) : document.createTextNode(cellText(c, row));
    return c.link ? h("a", { attrs: { href: c.link(row) } }, text) : text;
  }

  function selectHead(): HTMLElement | null {
    const sel = opts.select;
    if (!sel) return null;
    const ids = opts.rows.filter((r) => !sel.disabled?.(r)).map(sel.id);
    const selected = sel.selected();
    const all = ids.length > 0 && ids.every((id) => selected.has(id));
    const box = h("input", {
      testid: `${opts.testid}-select-all`,
      attrs: { type: "checkbox", "aria-label": "Select all shown", checked: all },
      on: { change: () => sel.onSelect(toggleAll(sel.selected(), ids)) },
    });
    return h("th", { class: "select" }, box);
  }

  function selectCell(row: R): HTMLElement | null {
    const sel = opts.select;
    if (!sel) return null;
    const id = sel.id(row);
    return h(
      "td",
      { class: "select" },
      h("input", {
        testid: `${opts.testid}-select`,
        dataset: { id },
        attrs: { type: "checkbox", "aria-label": "Select", checked: sel.selected().has(id), disabled: sel.disabled?.(row) ?? false },
        on: {
          change: (ev) => {
            const next = new Set(sel.selected());
            if ((ev.target as HTMLInputElement).checked) next.add(id);
            else next.delete(id);
            sel.onSelect(next);
          },
        },
      }),
    );
  }

  function draw(): void {
    replaceChildren(
      head,
      selectHead(),
      ...columns.map((c) => {
        const dir = sort?.key === c.key ? sort.dir : null;
        return sortHeader(c, dir, opts.testid, () => {
          sort = nextSort(sort, c);
          draw();
        });
      }),
    );
    replaceChildren(
      body,
      ...shown().map((row) =>
        h(
          "tr",
          { testid: `${opts.testid}-row`, dataset: opts.select ? { id: opts.select.id(row) } : {} },
          selectCell(row),
          ...columns.map((c) => {
            const level = opts.shade?.(c, row) ?? null;
            const cls = [c.numeric ? "num" : "", level === null ? "" : `shade shade-${level}`].filter(Boolean).join(" ");
            return h("td", { class: cls, dataset: { col: c.key } }, cell(c, row));
          }),
        ),
      ),
    );
  }

  draw();
  const el = h(
    "section",
    { class: "console-section", testid: opts.testid, dataset: { rows: opts.rows.length } },
    h("div", { class: "console-section-head" }, h("h2", {}, opts.title), download),
    opts.rows.length ? table : h("p", { class: "muted", testid: `${opts.testid}-empty` }, opts.empty),
  );
  return { el, refresh: draw };
}
