import { defineConfig } from "vitest/config";

// Unit tests of the client's pure logic (src/**/*.test.ts), in Node: no browser, no server.
// Times and money are shown in the reader's zone and locale, so the tests pin both, in a zone
// with daylight saving time. Set here, before the test processes are forked (they inherit the
// environment; ICU reads the locale once, at start).
process.env.TZ = "Europe/Paris";
process.env.LC_ALL = "en_GB.UTF-8";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    pool: "forks",
  },
});
