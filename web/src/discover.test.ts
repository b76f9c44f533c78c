import { describe, expect, it } from "vitest";
import {
  activitiesQuery,
  chipCategories,
  dayBounds,
  discoverQuery,
  distanceText,
  emptyFilters,
  isSearching,
  knownGoingText,
  mergePage,
  nearParam,
  seatsText,
  type DiscoveryItem,
} from "./discover";
import { circleShareLinks, posterFileName, posterVariant } from "./discoverShare";

describe("dayBounds (tests run in Europe/Paris)", () => {
  it("turns local days into UTC instants, the end day included", () => {
    expect(dayBounds("2026-12-05", "2026-12-05")).toEqual({
      from: "2026-12-04T23:00:00.000Z",
      to: "2026-12-05T23:00:00.000Z",
    });
  });
  it("follows daylight saving time", () => {
    expect(dayBounds("2026-07-01", "")).toEqual({ from: "2026-06-30T22:00:00.000Z" });
  });
  it("leaves out what is not a day", () => {
    expect(dayBounds("", "5/12/2026")).toEqual({});
  });
});

describe("activitiesQuery", () => {
  it("sends only what is set", () => {
    expect(activitiesQuery(emptyFilters())).toBe("?limit=20");
  });
  it("combines every filter, with the position rounded and the radius", () => {
    const q = new URLSearchParams(
      activitiesQuery(
        { q: "  night hike ", category: "hiking", fromDay: "2026-12-05", toDay: "", near: { lat: 48.856613, lng: 2.352222 }, radiusKm: 5, following: true },
        "abc_-1",
        10,
      ).slice(1),
    );
    expect(Object.fromEntries(q)).toEqual({
      q: "night hike",
      category: "hiking",
      from: "2026-12-04T23:00:00.000Z",
      near: "48.857,2.352",
      radius_km: "5",
      following: "true",
      cursor: "abc_-1",
      limit: "10",
    });
  });
  it("never sends a radius without a position", () => {
    expect(activitiesQuery({ ...emptyFilters(), radiusKm: 25 })).not.toContain("radius_km");
  });
});

describe("near", () => {
  it("rounds to about 100 m and drops trailing zeros", () => {
    expect(nearParam({ lat: -33.8688197, lng: 151.2092955 })).toBe("-33.869,151.209");
    expect(nearParam({ lat: 10.5, lng: -0.0001 })).toBe("10.5,0");
  });
  it("is only in the discover query when given", () => {
    expect(discoverQuery(null, 10)).toBe("");
    expect(discoverQuery({ lat: 1, lng: 2 }, 25)).toBe("?near=1%2C2&radius_km=25");
  });
});

describe("isSearching", () => {
  it("is false for the empty form and a blank query", () => {
    expect(isSearching({ ...emptyFilters(), q: "   " })).toBe(false);
  });
  it("is true for any filter", () => {
    expect(isSearching({ ...emptyFilters(), category: "music" })).toBe(true);
    expect(isSearching({ ...emptyFilters(), following: true, near: { lat: 0, lng: 0 } })).toBe(true);
  });
  it("is false for the position alone (it fills the near-you section)", () => {
    expect(isSearching({ ...emptyFilters(), near: { lat: 0, lng: 0 } })).toBe(false);
    expect(isSearching({ ...emptyFilters(), following: true })).toBe(true);
  });
});

describe("knownGoingText", () => {
  it("says nothing when nobody you know is going", () => {
    expect(knownGoingText([], 0)).toBe("");
  });
  it("names one, two or three people", () => {
    expect(knownGoingText(["Ann"], 1)).toBe("Ann is going");
    expect(knownGoingText(["Ann", "Bob"], 2)).toBe("Ann and Bob are going");
    expect(knownGoingText(["Ann", "Bob", "Cy"], 3)).toBe("Ann, Bob and Cy are going");
  });
  it("counts the ones not named", () => {
    expect(knownGoingText(["Ann", "Bob", "Cy"], 5)).toBe("Ann, Bob, Cy and 2 more are going");
    expect(knownGoingText([], 2)).toBe("2 people you know are going");
  });
});

describe("card words", () => {
  it("says seats left", () => {
    expect(seatsText({ status: "open", seats_left: 3 })).toBe("3 seats left");
    expect(seatsText({ status: "open", seats_left: 1 })).toBe("1 seat left");
    expect(seatsText({ status: "full", seats_left: 0 })).toBe("No seats left");
    expect(seatsText({ status: "cancelled", seats_left: 4 })).toBe("Cancelled");
  });
  it("says distances", () => {
    expect(distanceText(null)).toBe("");
    expect(distanceText(0.234)).toBe("230 m away");
    expect(distanceText(0.001)).toBe("10 m away");
    expect(distanceText(3.26)).toBe("3.3 km away");
    expect(distanceText(12.6)).toBe("13 km away");
  });
});

describe("chipCategories", () => {
  it("adds the loaded and the selected categories once, sorted", () => {
    const chips = chipCategories([{ category: "zumba" }, { category: "music" }], "aikido");
    expect(chips[0]).toBe("aikido");
    expect(chips.filter((c) => c === "music")).toHaveLength(1);
    expect(chips).toContain("zumba");
  });
});

describe("mergePage", () => {
  const item = (id: string) => ({ id }) as DiscoveryItem;
  it("appends a page without repeating an activity", () => {
    expect(mergePage([item("a"), item("b")], [item("b"), item("c")]).map((i) => i.id)).toEqual(["a", "b", "c"]);
  });
});

describe("posterVariant", () => {
  it("picks size and format, keeping the sharer, as a path on this origin", () => {
    const png = "https://circles.example/s/a/act_1/poster.png?ref=alice";
    expect(posterVariant(png, "a4", "svg")).toBe("/s/a/act_1/poster.svg?ref=alice&size=a4");
    expect(posterVariant(png, "phone", "png")).toBe("/s/a/act_1/poster.png?ref=alice&size=phone");
    expect(posterVariant("https://x/s/c/c1/poster.svg?size=og", "phone", "png")).toBe("/s/c/c1/poster.png?size=phone");
  });
  it("refuses what is not a poster", () => {
    expect(posterVariant("https://x/api/me", "phone", "png")).toBeNull();
    expect(posterVariant("https://x/other/poster.png", "phone", "png")).toBeNull();
  });
});

describe("circleShareLinks", () => {
  it("builds the circle's page and poster with the sharer", () => {
    expect(circleShareLinks("http://127.0.0.1:8000/", "c 1", "alice_1")).toEqual({
      page: "http://127.0.0.1:8000/s/c/c%201?ref=alice_1",
      poster: "http://127.0.0.1:8000/s/c/c%201/poster.png?ref=alice_1",
    });
  });
  it("leaves out a sharer the server would refuse", () => {
    expect(circleShareLinks("https://x", "c1", "a b").page).toBe("https://x/s/c/c1");
  });
});

describe("posterFileName", () => {
  it("keeps letters and digits of any script", () => {
    expect(posterFileName("Night hike: Mt. Fuji!", "phone", "png")).toBe("night-hike-mt-fuji-phone.png");
    expect(posterFileName("夜のハイキング", "a4", "svg")).toBe("夜のハイキング-a4.svg");
    expect(posterFileName("!!!", "a4", "png")).toBe("poster-a4.png");
  });
});
