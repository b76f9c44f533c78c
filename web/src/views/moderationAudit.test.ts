import { describe, expect, it } from "vitest";
import { describeAudit } from "./moderationAudit";
import type { AuditEntry } from "./moderationApi";

const names: Record<string, string> = { u1: "Olga", u2: "Ben" };
const name = (id: string) => names[id] ?? id;

function entry(action: string, details: Record<string, unknown> = {}, target: string | null = "u2"): AuditEntry {
  return { id: "a", at: "2026-12-02T10:00:00Z", actor_id: "u1", action, target_id: target, reason: "", details };
}

describe("describeAudit", () => {
  it("names who did what to whom", () => {
    expect(describeAudit(entry("ban"), name)).toBe("Olga banned Ben");
    expect(describeAudit(entry("mute", { seconds: 600 }), name)).toBe("Olga muted Ben for 600 s");
    expect(describeAudit(entry("set_role", { role: "moderator", was: "member" }), name)).toBe(
      "Olga changed the role of Ben to moderator",
    );
    expect(describeAudit(entry("slow_mode", { seconds: 30 }, null), name)).toBe("Olga set slow mode to 30 s");
  });

  it("names the sender of a deleted message, not the message id", () => {
    expect(describeAudit(entry("delete_message", { sender_id: "u2" }, "m9"), name)).toBe(
      "Olga deleted a message of Ben",
    );
  });

  it("says join decisions, removed posts and report reviews in plain words", () => {
    expect(describeAudit(entry("approve_join"), name)).toBe("Olga approved the join request of Ben");
    expect(describeAudit(entry("decline_join"), name)).toBe("Olga declined the join request of Ben");
    expect(describeAudit(entry("delete_post", { author_id: "u2" }, "p7"), name)).toBe("Olga removed a post of Ben");
    expect(describeAudit(entry("review_report", { item_id: "i1", kind: "message", reported_id: "m9", outcome: "dismissed" }), name)).toBe(
      "Olga reviewed a report about Ben: dismissed",
    );
  });

  it("shows an unknown action as it is", () => {
    expect(describeAudit(entry("something_new", {}, null), name)).toBe("Olga something_new");
  });
});
