import { describe, expect, it } from "vitest";
import {
  NO_FILTER,
  editTags,
  filterFrom,
  filterQuery,
  listQuery,
  listTitle,
  memberColumns,
  outreachRequest,
  selectedShown,
  sendCounts,
  tagSlug,
  toggleAll,
  audienceText,
  OUTREACH_COLUMNS,
} from "./people";
import { cellText, sortRows, tableCsv } from "./table";
import { member, outreach } from "./testCircleReport";

describe("the members page's filters", () => {
  it("write the filters set, spaces as %20, and read them back", () => {
    const f = { stage: null, segment: "new and not yet activated", tag: "vip" };
    expect(filterQuery(f)).toBe("?segment=new%20and%20not%20yet%20activated&tag=vip");
    expect(filterQuery(NO_FILTER)).toBe("");
    expect(filterFrom(new URLSearchParams(filterQuery(f).slice(1)))).toEqual(f);
    expect(filterFrom(new URLSearchParams("stage=+&segment=at+risk"))).toEqual({ stage: null, segment: "at risk", tag: null });
  });

  it("ask for the largest page, with or without a filter", () => {
    expect(listQuery(NO_FILTER)).toBe("?limit=500");
    expect(listQuery({ stage: "new", segment: null, tag: null })).toBe("?stage=new&limit=500");
  });

  it("say when a page shows only the first members", () => {
    expect(listTitle(3, 3, false)).toBe("3 members");
    expect(listTitle(1, 1, true)).toBe("1 member matching the filter");
    expect(listTitle(500, 5000, false)).toBe("5000 members, the first 500 shown");
  });
});

describe("tags", () => {
  it("make a slug of what the organiser typed, or refuse it", () => {
    expect(tagSlug(" VIP ")).toBe("vip");
    expect(tagSlug("early bird")).toBe("early-bird");
    expect(tagSlug("")).toBeNull();
    expect(tagSlug("café")).toBeNull();
    expect(tagSlug("x".repeat(33))).toBeNull();
  });

  it("are added once, removed, and never past ten", () => {
    expect(editTags(["a"], "b", true)).toEqual(["a", "b"]);
    expect(editTags(["a", "b"], "a", true)).toEqual(["a", "b"]);
    expect(editTags(["a", "b"], "a", false)).toEqual(["b"]);
    expect(editTags([], "a", false)).toEqual([]);
    const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(editTags(ten, "new", true)).toBeNull();
    expect(editTags(ten, "t3", true)).toEqual(ten);
  });
});

describe("the lifecycle table", () => {
  const ann = member();
  const bob = member({
    user_id: "u2",
    display_name: "Bob",
    stage: "active",
    joined_at: "2026-10-01T10:00:00Z",
    rfm: { recency_days: 2, frequency: 9, attended: 3, active_days: 6, monetary: { EUR: 4500, GBP: 100 }, r: 5, f: 4, m: 2 },
    segments: ["champions"],
    tags: ["vip", "rower"],
  });

  it("shows money in the main currency, zero for who never paid, and writes it in major units", () => {
    const cols = memberColumns("EUR");
    const paid = cols.find((c) => c.key === "monetary");
    expect(paid?.label).toBe("Paid (EUR)");
    expect(paid && [cellText(paid, ann), cellText(paid, bob)]).toEqual(["€0.00", "€45.00"]);
    expect(tableCsv(cols, [bob]).split("\r\n")).toEqual([
      "Name,Role,Joined,Stage,R,F,M,Paid (EUR),Segments,Tags,Days since last seen,User id",
      "Bob,member,2026-10-01T10:00:00Z,active,5,4,2,45.00,champions,\"vip, rower\",2,u2",
      "",
    ]);
    const none = memberColumns(null).find((c) => c.key === "monetary");
    expect(none && cellText(none, bob)).toBe("–");
  });

  it("sorts stages in lifecycle order and money on its amount", () => {
    const cols = memberColumns("EUR");
    expect(sortRows([bob, ann], cols, { key: "stage", dir: "asc" }).map((m) => m.display_name)).toEqual(["Ann", "Bob"]);
    expect(sortRows([ann, bob], cols, { key: "monetary", dir: "desc" }).map((m) => m.display_name)).toEqual(["Bob", "Ann"]);
    expect(sortRows([bob, ann], cols, { key: "tags", dir: "asc" }).map((m) => m.display_name)).toEqual(["Bob", "Ann"]); // untagged last
  });
});

describe("the selection", () => {
  it("keeps only the shown ones and toggles all shown", () => {
    expect(selectedShown(new Set(["a", "x"]), ["a", "b"])).toEqual(["a"]);
    expect([...toggleAll(new Set(["a"]), ["a", "b"])]).toEqual(["a", "b"]);
    expect([...toggleAll(new Set(["a", "b"]), ["a", "b"])]).toEqual([]);
    expect([...toggleAll(new Set(), [])]).toEqual([]);
  });
});

describe("an outreach send", () => {
  it("goes to the selected members or to the filter", () => {
    expect(outreachRequest("dm", " Hi! ", { userIds: ["u1", "u2"] }, null)).toEqual({ body: { kind: "dm", text: "Hi!", user_ids: ["u1", "u2"] } });
    expect(outreachRequest("announcement", "News", { filter: { stage: "new", segment: null, tag: "vip" } }, "a1")).toEqual({
      body: { kind: "announcement", text: "News", stage: "new", tag: "vip" },
    });
    expect(outreachRequest("invite", "Come", { userIds: ["u1"] }, "a1", "k-1")).toEqual({
      body: { kind: "invite", text: "Come", activity_id: "a1", user_ids: ["u1"], client_id: "k-1" },
    });
  });

  it("says what is missing instead of sending", () => {
    expect(outreachRequest("dm", "  ", { userIds: ["u1"] }, null)).toEqual({ problem: "Write a message first." });
    expect(outreachRequest("dm", "x".repeat(2001), { userIds: ["u1"] }, null)).toEqual({ problem: "The message is longer than 2,000 characters." });
    expect(outreachRequest("invite", "Come", { userIds: ["u1"] }, null)).toEqual({ problem: "Pick an activity to invite them to." });
    expect(outreachRequest("dm", "Hi", { userIds: [] }, null)).toEqual({ problem: "Select at least one member." });
    const many = Array.from({ length: 501 }, (_, i) => `u${i}`);
    expect(outreachRequest("dm", "Hi", { userIds: many }, null)).toEqual({ problem: "Select at most 500 members." });
    expect(outreachRequest("dm", "Hi", { filter: NO_FILTER }, null)).toEqual({ problem: "Choose a stage, segment or tag first." });
  });

  it("counts what happened, and lists past sends", () => {
    expect(sendCounts(outreach())).toBe("Message sent to 5 members: 4 delivered, 1 skipped.");
    expect(sendCounts(outreach({ kind: "invite", recipients: 1, delivered: 1, skipped: 0 }))).toBe("Invitation sent to 1 member: 1 delivered.");
    expect(audienceText(outreach())).toBe("new and not yet activated");
    expect(audienceText(outreach({ audience: { stage: "cooling", segment: null, tag: "vip", user_ids: false } }))).toBe("stage cooling, #vip");
    expect(audienceText(outreach({ audience: { stage: null, segment: null, tag: null, user_ids: true } }))).toBe("selected members");
    const invite = outreach({ kind: "invite", activity_id: "a1", activity_title: "Morning row" });
    expect(OUTREACH_COLUMNS.map((c) => cellText(c, invite)).slice(1, 4)).toEqual(["Invitation: Morning row", "Hello!", "new and not yet activated"]);
    expect(tableCsv(OUTREACH_COLUMNS, [invite]).split("\r\n")[1]).toBe(
      "2026-12-03T07:00:00Z,invite,Hello!,new and not yet activated,Olga,5,4,1,2,0,a1,o1",
    );
  });
});
