// ISO 4217 currencies for the price picker, and amounts typed in major units ("12.50") turned
// into the integer minor units the wire carries (1250), by each currency's ISO exponent: JPY
// has no minor unit, most have 2 (cents), KWD/BHD and a few others 3. The exponents are ISO's,
// the same table the server formats money with (server/payments/money.py); Intl's own
// (`maximumFractionDigits`) differs for some currencies (e.g. IQD), so it is not used here.

/** Active ISO 4217 currency codes (fund codes, metals and testing codes left out). */
export const CURRENCIES: readonly string[] = (
  "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP " +
  "BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP " +
  "GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR " +
  "KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK " +
  "MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR " +
  "SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS " +
  "UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG"
).split(" ");

const ZERO = new Set("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(" "));
const THREE = new Set("BHD IQD JOD KWD LYD OMR TND".split(" "));

/** Digits after the decimal point in the currency's major unit (ISO 4217 exponent). */
export function isoExponent(currency: string): number {
  const c = currency.toUpperCase();
  return ZERO.has(c) ? 0 : THREE.has(c) ? 3 : 2;
}

/** "EUR — Euro" where the browser knows the name, else the code. */
export function currencyLabel(code: string): string {
  try {
    const names = new Intl.DisplayNames(["en"], { type: "currency" });
    const name = names.of(code);
    return name && name !== code ? `${code} — ${name}` : code;
  } catch {
    return code;
  }
}

export type Parsed = { ok: true; minor: number } | { ok: false; error: string };

/**
 * "12.50" (or "12,50") EUR -> 1250; "1500" JPY -> 1500; "1.250" KWD -> 1250. Exact decimal
 * arithmetic on the digits, so no floating-point rounding ever changes a price.
 */
export function toMinor(text: string, currency: string): Parsed {
  const digits = isoExponent(currency);
  const m = /^(\d{1,12})(?:[.,](\d*))?$/.exec(text.trim());
  if (!m) return { ok: false, error: "Enter the price as a number, e.g. 12.50." };
  const frac = m[2] ?? "";
  if (frac.length > digits) {
    return {
      ok: false,
      error:
        digits === 0
          ? `${currency} has no decimals: enter a whole number.`
          : `${currency} has ${digits} decimals at most.`,
    };
  }
  const minor = Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor) || minor > 100_000_000) return { ok: false, error: "That price is too high." };
  return { ok: true, minor };
}

/** 1250 EUR -> "12.50"; 1500 JPY -> "1500" (for an input field). */
export function toMajor(minor: number, currency: string): string {
  const digits = isoExponent(currency);
  if (digits === 0) return String(minor);
  const whole = Math.floor(minor / 10 ** digits);
  const frac = String(minor % 10 ** digits).padStart(digits, "0");
  return `${whole}.${frac}`;
}
