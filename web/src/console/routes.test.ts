import { describe, expect, it } from "vitest";
import { activityHash, circleRevenueHash, parseRoute } from "../router";

describe("the console's routes", () => {
  it("opens an activity's report and a circle's revenue", () => {
    expect(parseRoute("#/activity/a1/report")).toEqual({ name: "activity", id: "a1", tab: "report" });
    expect(parseRoute("#/circle/c1/revenue")).toEqual({ name: "circleRevenue", circleId: "c1" });
    expect(parseRoute(activityHash("a 1", "report"))).toEqual({ name: "activity", id: "a 1", tab: "report" });
    expect(parseRoute(circleRevenueHash("c/1"))).toEqual({ name: "circleRevenue", circleId: "c/1" });
    expect(parseRoute("#/activity/a1/nonsense")).toEqual({ name: "activity", id: "a1", tab: "details" });
  });
});
