import { describe, expect, it } from "vitest";
import { circleReportsHash, parseRoute } from "../router";
import type { Permissions } from "./moderationApi";
import { decisionActions, decisionBody, outcomeText, reasonSummary, type ReportItem } from "./reportsApi";

function perms(role: Permissions["role"], permissions: Permissions["permissions"]): Permissions {
  return { circle_id: "c1", role, permissions, muted_until: null, slow_mode_seconds: 0, rules: { text: "", version: "", accepted: true } };
}

const OWNER = perms("owner", ["moderate", "delete_messages", "view_reports", "manage_roles"]);
const MOD = perms("moderator", ["moderate", "delete_messages", "view_reports"]);
const MEMBER = perms("member", ["post"]);

function item(kind: ReportItem["kind"], subjectRole: ReportItem["context"]["subject"]["role"], status: ReportItem["status"] = "open") {
  return {
    kind,
    status,
    context: { messages: [], post: null, subject: { user_id: "u2", role: subjectRole, joined_at: null, history: [] } },
  };
}

describe("decisionActions", () => {
  it("offers a moderator every decision on a member's message", () => {
    expect(decisionActions(MOD, item("message", "member"))).toEqual(["dismiss", "remove", "mute", "kick", "ban"]);
  });

  it("offers nothing on a decided item, to a plain member, or without permissions", () => {
    expect(decisionActions(MOD, item("message", "member", "decided"))).toEqual([]);
    expect(decisionActions(MEMBER, item("message", "member"))).toEqual([]);
    expect(decisionActions(null, item("message", "member"))).toEqual([]);
  });

  it("never offers to remove a member report, nor to act on an equal or higher rank", () => {
    expect(decisionActions(MOD, item("member", "member"))).toEqual(["dismiss", "mute", "kick", "ban"]);
    expect(decisionActions(MOD, item("post", "moderator"))).toEqual(["dismiss", "remove"]);
    expect(decisionActions(MOD, item("message", "owner"))).toEqual(["dismiss", "remove"]);
    expect(decisionActions(OWNER, item("message", "admin"))).toEqual(["dismiss", "remove", "mute", "kick", "ban"]);
  });

  it("offers only a ban on a subject who already left", () => {
    expect(decisionActions(MOD, item("message", null))).toEqual(["dismiss", "remove", "ban"]);
  });
});

describe("decisionBody", () => {
  it("sends seconds with a mute only, and the reason trimmed", () => {
    expect(decisionBody("i1", "mute", "  spam ", 600)).toEqual({ item_id: "i1", action: "mute", reason: "spam", seconds: 600 });
    expect(decisionBody("i1", "ban", "", 600)).toEqual({ item_id: "i1", action: "ban", reason: "" });
  });
});

describe("reasonSummary and outcomeText", () => {
  it("lists reasons most reported first, with counts above one", () => {
    expect(reasonSummary({ scam: 1, spam: 3, other: 0 })).toBe("Spam ×3, Scam or fraud");
    expect(reasonSummary({ hate: 1, harassment: 1 })).toBe("Harassment, Hate");
    expect(reasonSummary({})).toBe("");
  });

  it("says each outcome in words", () => {
    expect(outcomeText("removed")).toBe("Removed");
    expect(outcomeText("banned")).toBe("Member banned");
  });
});

describe("the reports route", () => {
  it("round-trips through the router", () => {
    expect(circleReportsHash("c 1")).toBe("#/circle/c%201/reports");
    expect(parseRoute(circleReportsHash("c 1"))).toEqual({ name: "circleReports", circleId: "c 1" });
  });
});
