import { describe, expect, it } from "vitest";
import { csvCell, csvFileName, decimalAmount, toCsv } from "./csv";
import { dispositionName } from "./api";

describe("CSV cells", () => {
  it("quotes commas, quotes and line breaks (RFC 4180)", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('Yoga, "deluxe"')).toBe('"Yoga, ""deluxe"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
  });

  it("defuses text a spreadsheet would run, as the server's ledger does", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+A1")).toBe("'-2+A1");
    expect(csvCell("-cmd|' /C calc'!A0")).toBe("'-cmd|' /C calc'!A0");
    expect(csvCell("-5.00")).toBe("-5.00"); // a plain decimal is a number to a spreadsheet
    expect(csvCell("-1e3")).toBe("'-1e3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("=a,b")).toBe(`"'=a,b"`);
  });

  it("keeps numbers as numbers (a negative net stays a number) and writes empties", () => {
    expect(csvCell(-500)).toBe("-500");
    expect(csvCell(12.5)).toBe("12.5");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("joins rows with CRLF, header first", () => {
    expect(toCsv(["a", "b"], [[1, "x,y"], [null, "z"]])).toBe('a,b\r\n1,"x,y"\r\n,z\r\n');
    expect(toCsv(["only"], [])).toBe("only\r\n");
  });
});

describe("amounts and file names", () => {
  it("writes minor units as a decimal in major units", () => {
    expect(decimalAmount(1250, 2)).toBe("12.50");
    expect(decimalAmount(5, 2)).toBe("0.05");
    expect(decimalAmount(-300, 2)).toBe("-3.00");
    expect(decimalAmount(1500, 0)).toBe("1500");
    expect(decimalAmount(1234, 3)).toBe("1.234");
    expect(decimalAmount(0, 2)).toBe("0.00");
  });

  it("names files with letters, digits and dashes only", () => {
    expect(csvFileName("revenue", "C1", "by-month")).toBe("revenue-c1-by-month.csv");
    expect(csvFileName("payments", 'Yoga, "deluxe" ü/../x')).toBe("payments-yoga-deluxe-x.csv");
    expect(csvFileName("", "***")).toBe("table.csv");
  });

  it("takes the server's file name from Content-Disposition", () => {
    expect(dispositionName('attachment; filename="ledger-c1.csv"', "x.csv")).toBe("ledger-c1.csv");
    expect(dispositionName("attachment; filename=ledger.csv", "x.csv")).toBe("ledger.csv");
    expect(dispositionName(null, "x.csv")).toBe("x.csv");
    expect(dispositionName("inline", "x.csv")).toBe("x.csv");
  });
});
