import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { changeNoticeText, changesText, fillTemplate, localTime, notificationText } from "./time";
import type { Notification } from "./types";

// Europe/Paris, en-GB (vitest.config.ts); "now" is pinned in 2026 so no year is written.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-06-15T12:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

const START = "2026-07-04T09:00:00Z"; // Sat 4 Jul, 11:00 in Paris

function notification(data: Record<string, unknown>, body = "plain body"): Notification {
  return { id: "n1", kind: "activity_changed", title: "t", body, data, read: false, created_at: START };
}

describe("local times", () => {
  it("shows a wire time in the reader's zone, and nothing else as a time", () => {
    expect(localTime(START)).toBe("Sat 4 Jul, 11:00");
    expect(localTime("soon")).toBeNull();
    expect(localTime(1720000000)).toBeNull();
    expect(localTime(undefined)).toBeNull();
  });
});

describe("templates", () => {
  it("fills each {name} with its time, and {{ }} as literal braces", () => {
    expect(fillTemplate("Starts {start} {{not a name}}", { start: START })).toBe(
      "Starts Sat 4 Jul, 11:00 {not a name}",
    );
  });

  it("gives up (null) when a name has no usable time, so the plain body is shown", () => {
    expect(fillTemplate("Starts {start}", {})).toBeNull();
    expect(fillTemplate("Starts {start}", { start: "garbage" })).toBeNull();
    expect(fillTemplate(42, { start: START })).toBeNull();
    expect(fillTemplate("Starts {start}", null)).toBeNull();
  });

  it("leaves a template without names as it is", () => {
    expect(fillTemplate("No times here", {})).toBe("No times here");
  });
});

describe("change notices", () => {
  it("writes only the new time when the day is the same", () => {
    expect(changesText([{ field: "starts_at", from: START, to: "2026-07-04T10:30:00Z" }])).toBe(
      "Start: Sat 4 Jul, 11:00 → 12:30",
    );
  });

  it("writes the day again when it changed (in the reader's zone)", () => {
    expect(changesText([{ field: "ends_at", from: START, to: "2026-07-04T22:30:00Z" }])).toBe(
      "End: Sat 4 Jul, 11:00 → Sun 5 Jul, 00:30",
    );
  });

  it("lists several changes, places as text and unknown fields by name", () => {
    expect(
      changesText([
        { field: "starts_at", from: START, to: "2026-07-04T10:00:00Z" },
        { field: "location", from: "Park", to: "Hall" },
        { field: "capacity", from: "10", to: "12" },
      ]),
    ).toBe("Start: Sat 4 Jul, 11:00 → 12:00; Place: Park → Hall; capacity: 10 → 12");
  });

  it("is null for anything malformed", () => {
    expect(changesText([])).toBeNull();
    expect(changesText("Start moved")).toBeNull();
    expect(changesText([{ field: "starts_at", from: START }])).toBeNull();
    expect(changesText([{ field: "starts_at", from: "bad", to: START }])).toBeNull();
  });

  it("reads a chat notice from its card, else the fallback", () => {
    const card = {
      type: "activity_changed",
      title: "Hike",
      changes: [{ field: "location", from: "Park", to: "Hall" }],
    };
    expect(changeNoticeText(card, "fallback")).toBe("“Hike” changed. Place: Park → Hall. Please re-confirm on the card.");
    expect(changeNoticeText({ ...card, type: "activity" }, "fallback")).toBe("fallback");
    expect(changeNoticeText({ ...card, changes: [] }, "fallback")).toBe("fallback");
    expect(changeNoticeText(null, "fallback")).toBe("fallback");
  });
});

describe("notification bodies", () => {
  it("prefers the changes, then the template, then the plain body", () => {
    const changes = [{ field: "location", from: "Park", to: "Hall" }];
    expect(notificationText(notification({ changes, template: "x {start}", times: { start: START } }))).toBe(
      "Place: Park → Hall. Please re-confirm.",
    );
    expect(notificationText(notification({ template: "Starts {start}", times: { start: START } }))).toBe(
      "Starts Sat 4 Jul, 11:00",
    );
    expect(notificationText(notification({ template: "Starts {start}", times: {} }))).toBe("plain body");
    expect(notificationText(notification({}))).toBe("plain body");
  });
});
