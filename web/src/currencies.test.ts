import { describe, expect, it } from "vitest";
import { CURRENCIES, currencyLabel, isoExponent, toMajor, toMinor } from "./currencies";

describe("ISO 4217 exponents", () => {
  it("knows the currencies without and with three minor digits", () => {
    expect(isoExponent("JPY")).toBe(0);
    expect(isoExponent("krw")).toBe(0);
    expect(isoExponent("EUR")).toBe(2);
    expect(isoExponent("KWD")).toBe(3);
    // ISO says 3 for IQD where Intl says 0: the ISO table decides (the server uses it too).
    expect(isoExponent("IQD")).toBe(3);
  });

  it("lists each code once, three capital letters each", () => {
    expect(new Set(CURRENCIES).size).toBe(CURRENCIES.length);
    for (const code of CURRENCIES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect(CURRENCIES).toContain("EUR");
    expect(CURRENCIES).not.toContain("XAU"); // a metal, not a currency to price in
  });
});

describe("typed prices to minor units", () => {
  it("reads major units with a point or a comma", () => {
    expect(toMinor("12.50", "EUR")).toEqual({ ok: true, minor: 1250 });
    expect(toMinor("12,5", "EUR")).toEqual({ ok: true, minor: 1250 });
    expect(toMinor(" 12 ", "EUR")).toEqual({ ok: true, minor: 1200 });
    expect(toMinor("12.", "EUR")).toEqual({ ok: true, minor: 1200 });
    expect(toMinor("0.07", "USD")).toEqual({ ok: true, minor: 7 });
    expect(toMinor("1500", "JPY")).toEqual({ ok: true, minor: 1500 });
    expect(toMinor("1.250", "KWD")).toEqual({ ok: true, minor: 1250 });
  });

  it("is exact where floating point is not", () => {
    // 0.29 * 100 is 28.999999999999996 in floating point.
    expect(toMinor("0.29", "EUR")).toEqual({ ok: true, minor: 29 });
    expect(toMinor("1.005", "KWD")).toEqual({ ok: true, minor: 1005 });
  });

  it("refuses more decimals than the currency has", () => {
    expect(toMinor("12.5", "JPY")).toEqual({ ok: false, error: "JPY has no decimals: enter a whole number." });
    expect(toMinor("1.999", "EUR")).toEqual({ ok: false, error: "EUR has 2 decimals at most." });
  });

  it("refuses what is not a plain non-negative number", () => {
    for (const text of ["", "abc", "-1", "1e3", "1.2.3", "€5", "1 000"]) {
      expect(toMinor(text, "EUR").ok).toBe(false);
    }
  });

  it("refuses prices over a million", () => {
    expect(toMinor("1000000", "EUR")).toEqual({ ok: true, minor: 100_000_000 });
    expect(toMinor("1000000.01", "EUR")).toEqual({ ok: false, error: "That price is too high." });
  });
});

describe("minor units back to an input value", () => {
  it("writes the currency's decimals", () => {
    expect(toMajor(1250, "EUR")).toBe("12.50");
    expect(toMajor(7, "EUR")).toBe("0.07");
    expect(toMajor(1500, "JPY")).toBe("1500");
    expect(toMajor(1005, "KWD")).toBe("1.005");
  });

  it("round-trips with toMinor for every currency", () => {
    for (const code of CURRENCIES) {
      for (const minor of [0, 1, 99, 1250, 123_456]) {
        expect(toMinor(toMajor(minor, code), code)).toEqual({ ok: true, minor });
      }
    }
  });
});

describe("labels", () => {
  it("names a currency the runtime knows, else shows the code", () => {
    expect(currencyLabel("EUR")).toBe("EUR — Euro");
    expect(currencyLabel("not a code")).toBe("not a code");
  });
});
