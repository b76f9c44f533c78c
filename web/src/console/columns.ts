// The columns of the console's tables: what each shows, sorts on and writes to CSV. Money is
// sorted on its minor units, shown as money and written in major units with the currency in
// its own column, so a spreadsheet sums it.

import { currencyDigits, formatAmount } from "../format";
import { activityHash } from "../router";
import { decimalAmount } from "./csv";
import { monthLabel } from "./series";
import type { Column } from "./table";
import type { ActivityRevenue, Money, MonthRevenue, Outstanding, ProviderRevenue, RevenueRow } from "./wire";

function money<R extends { currency: string }>(key: string, label: string, pick: (r: R) => number): Column<R> {
  return {
    key,
    label,
    numeric: true,
    sort: pick,
    text: (r) => formatAmount(pick(r), r.currency),
    csv: (r) => decimalAmount(pick(r), currencyDigits(r.currency)),
  };
}

function moneyColumns<R extends RevenueRow>(): Column<R>[] {
  return [
    { key: "currency", label: "Currency", sort: (r) => r.currency },
    { key: "test", label: "Test", sort: (r) => (r.test ? "test" : ""), text: (r) => (r.test ? "TEST" : ""), csv: (r) => r.test },
    money<R>("gross", "Gross", (r) => r.gross),
    money<R>("refunds", "Refunds", (r) => r.refunds),
    money<R>("fees", "Fees", (r) => r.fees),
    money<R>("net", "Net", (r) => r.net),
  ];
}

export const MONTH_COLUMNS: Column<MonthRevenue>[] = [
  { key: "month", label: "Month", sort: (r) => r.month, text: (r) => monthLabel(r.month) },
  ...moneyColumns<MonthRevenue>(),
];

export const ACTIVITY_COLUMNS: Column<ActivityRevenue>[] = [
  { key: "title", label: "Activity", sort: (r) => r.title, link: (r) => activityHash(r.activity_id, "report") },
  ...moneyColumns<ActivityRevenue>(),
  { key: "activity_id", label: "Activity id", sort: (r) => r.activity_id, csvOnly: true },
];

export const PROVIDER_COLUMNS: Column<ProviderRevenue>[] = [
  { key: "provider", label: "Provider", sort: (r) => r.provider },
  ...moneyColumns<ProviderRevenue>(),
];

export const OUTSTANDING_COLUMNS: Column<Outstanding>[] = [
  { key: "since", label: "Since", sort: (r) => r.since, text: (r) => new Date(r.since).toLocaleString() },
  { key: "activity", label: "Activity", sort: (r) => r.activity_title, link: (r) => activityHash(r.activity_id) },
  { key: "payer", label: "Payer", sort: (r) => r.payer_name },
  money<Outstanding>("amount", "Amount", (r) => r.amount),
  { key: "currency", label: "Currency", sort: (r) => r.currency },
  { key: "status", label: "Status", sort: (r) => r.status },
  { key: "reference", label: "Reference", sort: (r) => r.reference },
  { key: "payment_id", label: "Payment id", sort: (r) => r.payment_id, csvOnly: true },
];

export const ACTIVITY_MONEY_COLUMNS: Column<Money>[] = [
  { key: "currency", label: "Currency", sort: (r) => r.currency },
  { key: "test", label: "Test", sort: (r) => (r.test ? "test" : ""), text: (r) => (r.test ? "TEST" : ""), csv: (r) => r.test },
  money<Money>("paid", "Paid", (r) => r.paid),
  money<Money>("refunded", "Refunded", (r) => r.refunded),
  money<Money>("net", "Net", (r) => r.net),
];
