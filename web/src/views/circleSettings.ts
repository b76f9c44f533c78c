// Circle settings for owners and admins (`#/circle/<id>/settings`): slow mode, the rules text,
// revoking every invite link, the payout account, the bans (with Unban) and the audit log, each
// for whoever may use it.
// Sections follow the viewer's permissions (`GET /api/circles/{id}/permissions`).

import { describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { circlePageHash, circleReportsHash } from "../router";
import { confirmAction } from "./confirm";
import { joinRequestsView, joinSettingsView } from "./joinRequestsStaff";
import { auditLogView } from "./moderationAudit";
import { bansView } from "./moderationBans";
import { moderationApi, type Permissions } from "./moderationApi";
import { payoutAccountView } from "./payoutAccount";
import type { View } from "./view";

export function circleSettingsView(circleId: string): View {
  const body = h("div", { class: "stack" }, h("p", { class: "muted" }, "Loading…"));
  const children: View[] = [];

  function slowModeSection(perms: Permissions): HTMLElement {
    const input = h("input", {
      testid: "slow-mode-seconds",
      attrs: { type: "number", min: 0, max: 21600, step: 1, value: perms.slow_mode_seconds },
    });
    const status = h("p", { class: "muted", testid: "slow-mode-status", attrs: { role: "status" } });
    return h(
      "form",
      {
        class: "stack",
        testid: "slow-mode-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            try {
              const out = await moderationApi.slowMode(circleId, Number(input.value));
              status.textContent = out.slow_mode_seconds ? `Slow mode: one message every ${out.slow_mode_seconds} s per member.` : "Slow mode is off.";
            } catch (err) {
              status.textContent = describeError(err);
            }
          },
        },
      },
      h("h2", {}, "Slow mode"),
      h("label", {}, "Seconds between a member's messages (0 turns it off; moderators are exempt)", input),
      h("button", { testid: "slow-mode-save", attrs: { type: "submit" } }, "Save slow mode"),
      status,
    );
  }

  function rulesSection(perms: Permissions): HTMLElement {
    const text = h("textarea", { testid: "rules-input", attrs: { maxlength: 5000, rows: 6 } });
    text.value = perms.rules.text;
    const status = h("p", { class: "muted", testid: "rules-status", attrs: { role: "status" } });
    return h(
      "form",
      {
        class: "stack",
        testid: "rules-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            try {
              const { rules } = await moderationApi.setRules(circleId, text.value);
              status.textContent = rules.text ? "Rules saved: every member accepts them before posting again." : "Rules removed.";
            } catch (err) {
              status.textContent = describeError(err);
            }
          },
        },
      },
      h("h2", {}, "Rules"),
      h("label", {}, "Shown to newcomers, who accept them before posting (empty removes them)", text),
      h("button", { testid: "rules-save", attrs: { type: "submit" } }, "Save rules"),
      status,
    );
  }

  function invitesSection(): HTMLElement {
    const status = h("p", { class: "muted", testid: "revoke-status", attrs: { role: "status" } });
    return h(
      "section",
      { class: "stack" },
      h("h2", {}, "Invite links"),
      h(
        "button",
        {
          class: "danger",
          testid: "revoke-invites",
          attrs: { type: "button" },
          on: {
            click: async () => {
              const ok = await confirmAction({
                title: "Revoke every invite link?",
                message: ["Every invite link made so far stops working. New invites work."],
                confirm: "Revoke all",
                danger: true,
              });
              if (!ok) return;
              try {
                await moderationApi.revokeInvites(circleId);
                status.textContent = "Every earlier invite link is revoked.";
              } catch (err) {
                status.textContent = describeError(err);
              }
            },
          },
        },
        "Revoke all invite links",
      ),
      status,
    );
  }

  async function load(): Promise<void> {
    try {
      const perms = await moderationApi.permissions(circleId);
      const can = (p: Permissions["permissions"][number]) => perms.permissions.includes(p);
      const parts: HTMLElement[] = [];
      if (can("view_reports")) {
        parts.push(h("a", { class: "button", testid: "settings-reports-link", attrs: { href: circleReportsHash(circleId) } }, "Review reports"));
      }
      if (can("manage_circle")) parts.push(slowModeSection(perms), rulesSection(perms), invitesSection());
      if (can("manage_circle")) {
        const joining = joinSettingsView(circleId);
        children.push(joining);
        parts.push(joining.el);
      }
      if (can("moderate")) {
        const requests = joinRequestsView(circleId);
        children.push(requests);
        parts.push(requests.el);
      }
      if (perms.role === "owner" || perms.role === "admin") {
        const payout = payoutAccountView(circleId, perms.role === "owner");
        children.push(payout);
        parts.push(payout.el);
      }
      if (can("moderate")) {
        const bans = bansView(circleId);
        children.push(bans);
        parts.push(bans.el);
      }
      if (can("view_audit")) {
        const audit = auditLogView(circleId);
        children.push(audit);
        parts.push(audit.el);
      }
      if (parts.length === 0) parts.push(h("p", { class: "muted", testid: "settings-none" }, "Only the circle's owner, admins and moderators have settings here."));
      replaceChildren(body, ...parts);
    } catch (err) {
      replaceChildren(body, h("p", { class: "error", testid: "settings-error" }, describeError(err)));
    }
  }

  void load();
  return {
    el: h(
      "section",
      { class: "pane circle-settings", testid: "circle-settings-view" },
      h("header", { class: "pane-header" }, h("a", { attrs: { href: circlePageHash(circleId) } }, "← Circle"), h("h1", {}, "Circle settings")),
      body,
    ),
    dispose: () => children.forEach((c) => c.dispose?.()),
  };
}
