import { describe, expect, it } from "vitest";
import { parseRoute } from "../router";
import { assignableRoles, formatWait, memberActions, type Permissions } from "./moderationApi";

function perms(role: Permissions["role"], permissions: Permissions["permissions"]): Permissions {
  return {
    circle_id: "c1",
    role,
    permissions,
    muted_until: null,
    slow_mode_seconds: 0,
    rules: { text: "", version: "", accepted: true },
  };
}

const OWNER = perms("owner", ["post", "moderate", "manage_roles", "manage_circle", "view_audit"]);
const ADMIN = perms("admin", ["post", "moderate", "manage_roles", "manage_circle", "view_audit"]);
const MOD = perms("moderator", ["post", "moderate", "view_audit"]);
const MEMBER = perms("member", ["post", "post_media"]);

describe("memberActions", () => {
  it("offers nothing to members, nothing on oneself, nothing without permissions", () => {
    expect(memberActions(MEMBER, "member", false)).toEqual({ role: false, mute: false, kick: false, ban: false });
    expect(memberActions(OWNER, "owner", true)).toEqual({ role: false, mute: false, kick: false, ban: false });
    expect(memberActions(null, "member", false)).toEqual({ role: false, mute: false, kick: false, ban: false });
  });

  it("lets a moderator mute, kick and ban members but not change roles", () => {
    expect(memberActions(MOD, "member", false)).toEqual({ role: false, mute: true, kick: true, ban: true });
    expect(memberActions(MOD, "checkin", false).ban).toBe(true);
  });

  it("acts only on lower ranks", () => {
    expect(memberActions(MOD, "moderator", false).ban).toBe(false);
    expect(memberActions(MOD, "admin", false).mute).toBe(false);
    expect(memberActions(ADMIN, "admin", false).role).toBe(false);
    expect(memberActions(ADMIN, "moderator", false)).toEqual({ role: true, mute: true, kick: true, ban: true });
    expect(memberActions(OWNER, "admin", false).role).toBe(true);
  });
});

describe("assignableRoles", () => {
  it("lets the owner give admin and admins only roles below admin", () => {
    expect(assignableRoles("owner")).toEqual(["admin", "moderator", "checkin", "member"]);
    expect(assignableRoles("admin")).toEqual(["moderator", "checkin", "member"]);
  });
});

describe("formatWait", () => {
  it("rounds up and never says zero", () => {
    expect(formatWait(0)).toBe("1 s");
    expect(formatWait(4.2)).toBe("5 s");
    expect(formatWait(61)).toBe("2 min");
    expect(formatWait(3600)).toBe("1 h");
    expect(formatWait(3661)).toBe("1 h 2 min");
    expect(formatWait(86400)).toBe("1 d");
    expect(formatWait(90000)).toBe("1 d 1 h");
  });
});

describe("routes", () => {
  it("parses the settings, verification and admin routes", () => {
    expect(parseRoute("#/circle/abc/settings")).toEqual({ name: "circleSettings", circleId: "abc" });
    expect(parseRoute("#/me/verification")).toEqual({ name: "verification" });
    expect(parseRoute("#/admin/verifications")).toEqual({ name: "adminVerifications" });
    expect(parseRoute("#/admin/other")).toEqual({ name: "home" });
  });
});
