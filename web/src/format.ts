// Formatting of activity times, money and countdowns, plus the datetime-local <-> UTC
// conversions of the activity forms. Times on the wire are UTC ISO strings ending in Z; they
// are shown in the browser's local time zone.

/** "Sat 22 Nov, 10:00" (the year is added when it is not this year). */
export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString([], {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: sameYear ? undefined : "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "Sat 22 Nov, 10:00 – 12:00", or both full dates when the end is on another day. */
export function formatRange(startIso: string, endIso: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return formatWhen(startIso);
  if (start.toDateString() === end.toDateString()) {
    return `${formatWhen(startIso)} – ${end.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
  }
  return `${formatWhen(startIso)} – ${formatWhen(endIso)}`;
}

/** Minor units of the currency: JPY has none, most have 2. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount in minor units as money ("€12.50"); 0 is "Free". */
export function formatMoney(amount: number, currency: string): string {
  if (amount === 0) return "Free";
  return formatAmount(amount, currency);
}

/** An amount in minor units as money, 0 included ("€0.00"): for sums such as payment totals. */
export function formatAmount(amount: number, currency: string): string {
  const digits = currencyDigits(currency);
  const value = amount / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
  }
}

/** "4:59", "1:02:03", for a countdown; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** A UTC ISO time as the value of an <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of a datetime-local input (local time) as a UTC ISO string ending in Z. */
export function fromLocalInput(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
