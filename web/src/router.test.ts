import { describe, expect, it } from "vitest";
import {
  activityHash,
  circleActivitiesHash,
  circlePeopleHash,
  circleReportHash,
  conversationHash,
  myActivitiesHash,
  newActivityHash,
  parseRoute,
  payHash,
} from "./router";

describe("hash routes", () => {
  it("parses each page", () => {
    expect(parseRoute("#/login")).toEqual({ name: "login" });
    expect(parseRoute("#/explore")).toEqual({ name: "explore" });
    expect(parseRoute("#/new")).toEqual({ name: "new" });
    expect(parseRoute("#/c/abc")).toEqual({ name: "conversation", id: "abc" });
    expect(parseRoute("#/join/c1?invite=tok")).toEqual({ name: "join", circleId: "c1", invite: "tok" });
    expect(parseRoute("#/join/c1")).toEqual({ name: "join", circleId: "c1", invite: null });
    expect(parseRoute("#/activity/a1")).toEqual({ name: "activity", id: "a1", tab: "details" });
    expect(parseRoute("#/activity/a1/edit")).toEqual({ name: "activity", id: "a1", tab: "edit" });
    expect(parseRoute("#/activity/a1/checkin")).toEqual({ name: "activity", id: "a1", tab: "checkin" });
    expect(parseRoute("#/pay/p1")).toEqual({ name: "pay", id: "p1" });
    expect(parseRoute("#/circle/c1/activities?when=past")).toEqual({ name: "circleActivities", circleId: "c1", when: "past" });
    expect(parseRoute("#/circle/c1/new-activity")).toEqual({ name: "newActivity", circleId: "c1" });
    expect(parseRoute("#/circle/c1/about?ref=alice")).toEqual({ name: "circlePage", circleId: "c1" });
    expect(parseRoute("#/me/activities?when=hosting")).toEqual({ name: "myActivities", when: "hosting" });
  });

  it("sends anything unknown or incomplete home", () => {
    for (const hash of ["", "#", "#/", "#/nope", "#/c", "#/c/", "#/activity", "#/pay", "#/circle", "#/join"]) {
      expect(parseRoute(hash)).toEqual({ name: "home" });
    }
  });

  it("reads an unknown tab or when as the default", () => {
    expect(parseRoute("#/activity/a1/delete")).toEqual({ name: "activity", id: "a1", tab: "details" });
    expect(parseRoute("#/circle/c1/activities?when=soon")).toEqual({ name: "circleActivities", circleId: "c1", when: "upcoming" });
    expect(parseRoute("#/me/activities")).toEqual({ name: "myActivities", when: "upcoming" });
  });

  it("keeps the circle report's range and the members page's filters in the hash", () => {
    expect(parseRoute("#/circle/c1/report")).toEqual({ name: "circleReport", circleId: "c1", report: { period: "day", from: null, to: null } });
    expect(parseRoute("#/circle/c1/report?period=week&from=2026-10-01&to=2026-12-03")).toEqual({
      name: "circleReport",
      circleId: "c1",
      report: { period: "week", from: "2026-10-01", to: "2026-12-03" },
    });
    // An unknown period or a day that is not one falls back to the server's default.
    expect(parseRoute("#/circle/c1/report?period=year&from=yesterday")).toEqual({
      name: "circleReport",
      circleId: "c1",
      report: { period: "day", from: null, to: null },
    });
    expect(parseRoute("#/circle/c1/people?segment=new%20and%20not%20yet%20activated")).toEqual({
      name: "circlePeople",
      circleId: "c1",
      filter: { stage: null, segment: "new and not yet activated", tag: null },
    });
    expect(parseRoute("#/circle/c1/people")).toEqual({ name: "circlePeople", circleId: "c1", filter: { stage: null, segment: null, tag: null } });
    const filter = { stage: "cooling", segment: "at risk", tag: "vip-2" };
    expect(circlePeopleHash("c/1", filter)).toBe("#/circle/c%2F1/people?stage=cooling&segment=at%20risk&tag=vip-2");
    expect(parseRoute(circlePeopleHash("c/1", filter))).toEqual({ name: "circlePeople", circleId: "c/1", filter });
    const range = { period: "month" as const, from: "2026-01-01", to: null };
    expect(parseRoute(circleReportHash("c 1", range))).toEqual({ name: "circleReport", circleId: "c 1", report: range });
    expect(circleReportHash("c1")).toBe("#/circle/c1/report");
  });

  it("keeps a malformed escape as it is instead of throwing", () => {
    expect(parseRoute("#/c/%E0%A4%A")).toEqual({ name: "conversation", id: "%E0%A4%A" });
  });

  it("builds hashes that parse back to the same place, whatever the id holds", () => {
    const id = "a/b?c=d#e f%";
    expect(parseRoute(conversationHash(id))).toEqual({ name: "conversation", id });
    expect(parseRoute(activityHash(id))).toEqual({ name: "activity", id, tab: "details" });
    expect(parseRoute(activityHash(id, "edit"))).toEqual({ name: "activity", id, tab: "edit" });
    expect(parseRoute(activityHash(id, "checkin"))).toEqual({ name: "activity", id, tab: "checkin" });
    expect(parseRoute(payHash(id))).toEqual({ name: "pay", id });
    expect(parseRoute(circleActivitiesHash(id, "past"))).toEqual({ name: "circleActivities", circleId: id, when: "past" });
    expect(parseRoute(newActivityHash(id))).toEqual({ name: "newActivity", circleId: id });
    for (const when of ["upcoming", "past", "hosting"] as const) {
      expect(parseRoute(myActivitiesHash(when))).toEqual({ name: "myActivities", when });
    }
  });
});
