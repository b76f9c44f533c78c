import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { SocketError } from "../socket";
import { BlockedIds, blockRefusalText } from "./blocks";

describe("BlockedIds", () => {
  it("loads once, tells listeners of changes and only of real ones", async () => {
    let fetches = 0;
    const ids = new BlockedIds(() => {
      fetches += 1;
      return Promise.resolve(["u1"]);
    });
    let told = 0;
    ids.subscribe(() => (told += 1));
    await Promise.all([ids.load(), ids.load()]);
    expect(fetches).toBe(1);
    expect(ids.has("u1")).toBe(true);
    expect(told).toBe(1);
    ids.set("u1", true); // already blocked: nothing changes
    expect(told).toBe(1);
    ids.set("u2", true);
    ids.set("u1", false);
    expect([ids.has("u1"), ids.has("u2"), told]).toEqual([false, true, 3]);
    ids.reset();
    expect(ids.has("u2")).toBe(false);
    await ids.load();
    expect(fetches).toBe(2);
  });

  it("retries a failed load on the next call", async () => {
    let fail = true;
    const ids = new BlockedIds(() => (fail ? Promise.reject(new Error("offline")) : Promise.resolve(["u3"])));
    await expect(ids.load()).rejects.toThrow("offline");
    fail = false;
    await ids.load();
    expect(ids.has("u3")).toBe(true);
  });
});

describe("blockRefusalText", () => {
  it("turns the two DM refusals into sentences, from HTTP or the socket", () => {
    const blocked = new SocketError({ code: "forbidden", message: "x", details: { reason: "blocked" } });
    expect(blockRefusalText(blocked, "Ann")).toBe("You cannot message Ann: they do not accept messages from you.");
    const mine = new ApiError(403, { code: "forbidden", message: "x", details: { reason: "you_blocked" } });
    expect(blockRefusalText(mine, "Ann")).toBe("You blocked Ann. Unblock them to send a message.");
  });

  it("leaves other errors alone", () => {
    expect(blockRefusalText(new ApiError(403, { code: "forbidden", message: "x", details: { reason: "own" } }))).toBeNull();
    expect(blockRefusalText(new Error("x"))).toBeNull();
    expect(blockRefusalText(null)).toBeNull();
  });
});
