// Sortable tables, without the DOM: a table is columns over rows; each column says how a row
// reads as a sort key, as text on the page and as a CSV cell. The view (views/consoleTable.ts)
// draws what these functions answer.

import { toCsv, type Cell } from "./csv";

export type SortKey = string | number | null;

export interface Column<R> {
  key: string;
  label: string;
  /** The value sorted on (null sorts last, whatever the direction). */
  sort: (row: R) => SortKey;
  /** The text shown in the cell (defaults to the sort value). */
  text?: (row: R) => string;
  /** The CSV cell (defaults to the sort value). */
  csv?: (row: R) => Cell;
  numeric?: boolean;
  /** In the CSV only (long ids), not on the page. */
  csvOnly?: boolean;
  /** A link the cell's text leads to (an activity's report). */
  link?: (row: R) => string;
}

export interface Sort {
  key: string;
  dir: "asc" | "desc";
}

/** A header click: the same column flips its direction; another starts ascending for text and
 * descending for numbers (the biggest first is what one looks for in money). */
export function nextSort<R>(current: Sort | null, column: Column<R>): Sort {
  if (current?.key === column.key) return { key: column.key, dir: current.dir === "asc" ? "desc" : "asc" };
  return { key: column.key, dir: column.numeric ? "desc" : "asc" };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export function compareKeys(a: SortKey, b: SortKey): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return collator.compare(String(a), String(b));
}

/** The rows in the sort's order (a stable sort: equal keys keep the server's order). A null
 * sort or an unknown column answers the rows as they came. */
export function sortRows<R>(rows: readonly R[], columns: readonly Column<R>[], sort: Sort | null): R[] {
  const column = sort ? columns.find((c) => c.key === sort.key) : undefined;
  if (!sort || !column) return [...rows];
  const sign = sort.dir === "asc" ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, key: column.sort(row) }))
    .sort((x, y) => {
      if (x.key === null || y.key === null) {
        if (x.key === y.key) return x.index - y.index;
        return x.key === null ? 1 : -1;
      }
      return sign * compareKeys(x.key, y.key) || x.index - y.index;
    })
    .map((e) => e.row);
}

export function cellText<R>(column: Column<R>, row: R): string {
  if (column.text) return column.text(row);
  const value = column.sort(row);
  return value === null ? "" : String(value);
}

/** The columns drawn on the page. */
export function pageColumns<R>(columns: readonly Column<R>[]): Column<R>[] {
  return columns.filter((c) => !c.csvOnly);
}

/** The table as CSV, in the order given (the view passes the rows as sorted on the page). */
export function tableCsv<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  return toCsv(
    columns.map((c) => c.label),
    rows.map((row) => columns.map((c) => (c.csv ? c.csv(row) : c.sort(row)))),
  );
}
