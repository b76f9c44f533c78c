import { describe, expect, it } from "vitest";
import { mergePage, newerCopy } from "./notificationMerge";
import type { Notification } from "./types";

function digest(count: number, body: string, read = false, at = "2026-12-03T10:00:00Z"): Notification {
  return {
    id: "d1",
    kind: "host_signup",
    title: `${count} new sign-up${count === 1 ? "" : "s"} for River trip`,
    body,
    data: { count, activity_id: "a1" },
    read,
    created_at: at,
  };
}

describe("newerCopy", () => {
  it("keeps a live digest that counted more than the fetched page", () => {
    const live = digest(2, "Ann and Ben signed up.");
    const page = digest(1, "Ann signed up.");
    expect(newerCopy(live, page)).toBe(live);
  });

  it("takes the server's copy when it counted more, unread again", () => {
    const held = digest(1, "Ann signed up.", true);
    const page = digest(2, "Ann and Ben signed up.");
    expect(newerCopy(held, page)).toEqual(page);
  });

  it("keeps the local read mark on an equal count", () => {
    const held = digest(2, "Ann and Ben signed up.", true);
    const page = digest(2, "Ann and Ben signed up.", false);
    expect(newerCopy(held, page).read).toBe(true);
  });

  it("takes the fetched copy of one not held", () => {
    const page = digest(1, "Ann signed up.");
    expect(newerCopy(undefined, page)).toBe(page);
  });
});

describe("mergePage", () => {
  it("merges by id, newest first", () => {
    const other = { ...digest(1, "x", false, "2026-12-03T11:00:00Z"), id: "d2" };
    const merged = mergePage([digest(2, "Ann and Ben signed up.")], [digest(1, "Ann signed up."), other]);
    expect(merged.map((n) => [n.id, n.body])).toEqual([
      ["d2", "x"],
      ["d1", "Ann and Ben signed up."],
    ]);
  });
});
