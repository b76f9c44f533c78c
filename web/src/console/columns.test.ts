import { describe, expect, it } from "vitest";
import { ACTIVITY_COLUMNS, MONTH_COLUMNS, OUTSTANDING_COLUMNS } from "./columns";
import { cellText, sortRows, tableCsv } from "./table";
import { revenue } from "./testReports";
import type { MonthRevenue } from "./wire";

describe("revenue tables", () => {
  it("show money as money and write it in major units with the currency apart", () => {
    const rows = revenue().by_activity;
    const net = ACTIVITY_COLUMNS.find((c) => c.key === "net");
    expect(net && cellText(net, rows[0])).toBe("€130.00");
    expect(tableCsv(ACTIVITY_COLUMNS, rows)).toBe(
      "Activity,Currency,Test,Gross,Refunds,Fees,Net,Activity id\r\n" +
        "Morning row,EUR,false,150.00,20.00,0.00,130.00,a1\r\n" +
        "Evening row,EUR,false,50.00,0.00,0.00,50.00,a2\r\n",
    );
  });

  it("sort money on its amount, not its text", () => {
    const rows = revenue().by_activity;
    const order = sortRows(rows, ACTIVITY_COLUMNS, { key: "gross", dir: "asc" }).map((r) => r.title);
    expect(order).toEqual(["Evening row", "Morning row"]);
  });

  it("label months and mark test money; a negative net stays a number in the CSV", () => {
    const row: MonthRevenue = { month: "2026-12", currency: "EUR", test: true, gross: 0, refunds: 500, fees: 0, net: -500 };
    expect(MONTH_COLUMNS.map((c) => cellText(c, row))).toEqual(["Dec 2026", "EUR", "TEST", "€0.00", "€5.00", "€0.00", "-€5.00"]);
    expect(tableCsv(MONTH_COLUMNS, [row]).split("\r\n")[1]).toBe("2026-12,EUR,true,0.00,5.00,0.00,-5.00");
  });

  it("defuse a payer's reference that would be a formula", () => {
    const csv = tableCsv(OUTSTANDING_COLUMNS, [
      {
        payment_id: "p1",
        activity_id: "a1",
        activity_title: "Row",
        payer_id: "u1",
        payer_name: "Frank",
        amount: 2000,
        currency: "EUR",
        status: "pending",
        reference: "=HYPERLINK(1)",
        since: "2026-12-01T10:00:00Z",
      },
    ]);
    expect(csv.split("\r\n")[1]).toBe("2026-12-01T10:00:00Z,Row,Frank,20.00,EUR,pending,'=HYPERLINK(1),p1");
  });
});
