import { describe, expect, it } from "vitest";
import { cellText, compareKeys, nextSort, pageColumns, sortRows, tableCsv, type Column } from "./table";

interface Row {
  name: string;
  amount: number | null;
}

const columns: Column<Row>[] = [
  { key: "name", label: "Name", sort: (r) => r.name },
  { key: "amount", label: "Amount", numeric: true, sort: (r) => r.amount, text: (r) => (r.amount === null ? "–" : `€${r.amount}`) },
];

const rows: Row[] = [
  { name: "walk 10", amount: 5 },
  { name: "Walk 9", amount: null },
  { name: "abseil", amount: 20 },
  { name: "Bike", amount: 5 },
];

describe("sorting", () => {
  it("sorts text naturally and case-insensitively, numbers by value", () => {
    expect(sortRows(rows, columns, { key: "name", dir: "asc" }).map((r) => r.name)).toEqual(["abseil", "Bike", "Walk 9", "walk 10"]);
    expect(sortRows(rows, columns, { key: "name", dir: "desc" }).map((r) => r.name)).toEqual(["walk 10", "Walk 9", "Bike", "abseil"]);
  });

  it("keeps equal keys in their order and nulls last in both directions", () => {
    expect(sortRows(rows, columns, { key: "amount", dir: "asc" }).map((r) => r.name)).toEqual(["walk 10", "Bike", "abseil", "Walk 9"]);
    expect(sortRows(rows, columns, { key: "amount", dir: "desc" }).map((r) => r.name)).toEqual(["abseil", "walk 10", "Bike", "Walk 9"]);
  });

  it("answers the rows as they came without a sort or for an unknown column, never in place", () => {
    expect(sortRows(rows, columns, null)).toEqual(rows);
    expect(sortRows(rows, columns, { key: "nope", dir: "asc" })).toEqual(rows);
    const copy = [...rows];
    sortRows(rows, columns, { key: "name", dir: "asc" });
    expect(rows).toEqual(copy);
  });

  it("flips the direction on the same column; a new one starts ascending for text, descending for numbers", () => {
    expect(nextSort(null, columns[0])).toEqual({ key: "name", dir: "asc" });
    expect(nextSort({ key: "name", dir: "asc" }, columns[0])).toEqual({ key: "name", dir: "desc" });
    expect(nextSort({ key: "name", dir: "desc" }, columns[0])).toEqual({ key: "name", dir: "asc" });
    expect(nextSort({ key: "name", dir: "asc" }, columns[1])).toEqual({ key: "amount", dir: "desc" });
  });

  it("compares numbers as numbers", () => {
    expect(compareKeys(9, 10)).toBeLessThan(0);
    expect(compareKeys("2026-02", "2026-11")).toBeLessThan(0);
  });
});

describe("cells and CSV", () => {
  it("shows a column's text, else its sort value", () => {
    expect(cellText(columns[1], rows[1])).toBe("–");
    expect(cellText(columns[0], rows[0])).toBe("walk 10");
  });

  it("writes the rows in the order given, with the labels as header", () => {
    const sorted = sortRows(rows, columns, { key: "amount", dir: "desc" });
    expect(tableCsv(columns, sorted)).toBe("Name,Amount\r\nabseil,20\r\nwalk 10,5\r\nBike,5\r\nWalk 9,\r\n");
  });
});

describe("columns for the CSV only", () => {
  it("are left off the page but kept in the CSV", () => {
    const withId: Column<Row>[] = [...columns, { key: "id", label: "Id", sort: (r) => r.name.length, csvOnly: true }];
    expect(pageColumns(withId).map((c) => c.key)).toEqual(["name", "amount"]);
    expect(tableCsv(withId, [rows[0]])).toBe("Name,Amount,Id\r\nwalk 10,5,7\r\n");
  });
});
