// A sortable table with a "Download CSV" button (the console's tables). Sorting and CSV text
// come from console/table.ts; this draws them. The CSV holds the rows in the order shown.

import { csvFileName } from "../console/csv";
import { saveText } from "../console/api";
import { cellText, nextSort, pageColumns, sortRows, tableCsv, type Column, type Sort } from "../console/table";
import { h, replaceChildren, userText } from "../dom";

export interface TableOptions<R> {
  testid: string;
  title: string;
  columns: Column<R>[];
  rows: R[];
  /** Name parts of the downloaded file ("revenue", circle id, "by-month"). */
  file: string[];
  empty: string;
  initial?: Sort | null;
  /** Columns whose text is the user's (titles, names, references): drawn bidi-isolated. */
  userColumns?: string[];
}

export function sortableTable<R>(opts: TableOptions<R>): HTMLElement {
  let sort: Sort | null = opts.initial ?? null;
  const user = new Set(opts.userColumns ?? []);
  const head = h("tr");
  const body = h("tbody");
  const table = h("table", { class: "console-table", testid: `${opts.testid}-table` }, h("thead", {}, head), body);
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

  function shown(): R[] {
    return sortRows(opts.rows, opts.columns, sort);
  }

  const shownColumns = pageColumns(opts.columns);

  function cell(c: Column<R>, row: R): Node {
    const text = user.has(c.key) ? userText(cellText(c, row)) : document.createTextNode(cellText(c, row));
    return c.link ? h("a", { attrs: { href: c.link(row) } }, text) : text;
  }

  function draw(): void {
    replaceChildren(
      head,
      ...shownColumns.map((c) => {
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
          { testid: `${opts.testid}-row` },
          ...shownColumns.map((c) => h("td", { class: c.numeric ? "num" : "", dataset: { col: c.key } }, cell(c, row))),
        ),
      ),
    );
  }

  draw();
  return h(
    "section",
    { class: "console-section", testid: opts.testid, dataset: { rows: opts.rows.length } },
    h("div", { class: "console-section-head" }, h("h2", {}, opts.title), download),
    opts.rows.length ? table : h("p", { class: "muted" }, opts.empty),
  );
}

/** A two-column table of named numbers (the funnel, waitlist and offers, cancellations). */
export function factsTable(testid: string, title: string, rows: Array<[string, string, string?]>): HTMLElement {
  return h(
    "section",
    { class: "console-section", testid },
    h("h2", {}, title),
    h(
      "table",
      { class: "console-table facts-table" },
      h(
        "tbody",
        {},
        ...rows.map(([label, value, key]) =>
          h("tr", { dataset: key ? { key } : {} }, h("th", { attrs: { scope: "row" } }, label), h("td", { class: "num" }, value)),
        ),
      ),
    ),
  );
}

/** A column's header cell: a button that sorts by it, showing and announcing the direction
 * (shared by the console's tables: sortableTable here and consolePeopleTable.ts). */
export function sortHeader<R>(c: Column<R>, dir: "asc" | "desc" | null, testid: string, onSort: () => void): HTMLElement {
  return h(
    "th",
    {
      class: c.numeric ? "num" : "",
      attrs: { scope: "col", "aria-sort": dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none" },
    },
    h(
      "button",
      { class: "link console-sort", testid: `${testid}-sort-${c.key}`, attrs: { type: "button" }, on: { click: onSort } },
      c.label,
      dir ? (dir === "asc" ? " ▲" : " ▼") : "",
    ),
  );
}
