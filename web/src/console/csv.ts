// CSV text of a table, as a spreadsheet opens it: RFC 4180 quoting and CRLF line ends, like the
// server's ledger (docs/protocol.md, "Organiser reports"). Text that a spreadsheet would run as
// a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading ', as the
// server does; numbers stay numbers, so a negative net is still a number.

export type Cell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
// A plain decimal ("-5.00", a negative net written in major units) is read as a number by a
// spreadsheet, never run, so it keeps its sign.
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  const text = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",") + "\r\n").join("");
}

/** An amount in minor units as a plain decimal in major units ("12.50", "-3.00", "1500"). */
export function decimalAmount(amount: number, digits: number): string {
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(amount));
  if (digits <= 0) return `${sign}${abs}`;
  const text = String(abs).padStart(digits + 1, "0");
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** A file name from a label: letters, digits and dashes only. */
export function csvFileName(...parts: string[]): string {
  const stem = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join("-")
    .slice(0, 80);
  return `${stem || "table"}.csv`;
}
