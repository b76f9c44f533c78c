import { beforeEach, describe, expect, it } from "vitest";
import { captureReferral, forgetReferral, referralFor, signupHandled, wantsSignup } from "./referral";

// Node has no sessionStorage: a small in-memory one, fresh for each test.
class MemoryStorage {
  private items = new Map<string, string>();
  getItem(k: string): string | null {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

beforeEach(() => {
  (globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
});

describe("referral attribution in the client", () => {
  it("keeps a share link's sharer, channel and sign-up intent per activity", () => {
    captureReferral("#/activity/a1?signup=1&ref=alice_1&ch=poster");
    expect(referralFor("activity", "a1")).toEqual({ ref: "alice_1", ch: "poster" });
    expect(referralFor("activity", "a2")).toEqual({});
    expect(wantsSignup("a1")).toBe(true);
    signupHandled("a1");
    expect(wantsSignup("a1")).toBe(false);
    forgetReferral("activity", "a1");
    expect(referralFor("activity", "a1")).toEqual({});
  });

  it("reads join and circle-page links as the circle's, with link as the default channel", () => {
    captureReferral("#/join/c1?ref=bob");
    expect(referralFor("circle", "c1")).toEqual({ ref: "bob", ch: "link" });
    captureReferral("#/circle/c2/about?ref=carol&ch=going");
    expect(referralFor("circle", "c2")).toEqual({ ref: "carol", ch: "going" });
  });

  it("drops a malformed ref, reads an unknown channel as link, and ignores other routes", () => {
    captureReferral("#/activity/a1?ref=%7B%22%24gt%22%3A1%7D");
    expect(referralFor("activity", "a1")).toEqual({});
    captureReferral("#/activity/a1?ref=dave&ch=sms");
    expect(referralFor("activity", "a1")).toEqual({ ref: "dave", ch: "link" });
    captureReferral("#/c/conv1?ref=erin");
    captureReferral(null);
    expect(referralFor("circle", "conv1")).toEqual({});
  });
});
