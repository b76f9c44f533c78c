// The members panel with a "⋯" menu per member for those whose permissions allow it
// (`GET /api/circles/{id}/permissions`): change role, mute for a duration with a reason, kick,
// ban. It wraps views/members.ts and adds the menu to each row it draws (rows carry the
// member's id and role), so the plain list stays as it is for everyone else.

import { describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { circleReportsHash, circleSettingsHash } from "../router";
import { store } from "../store";
import { confirmAction } from "./confirm";
import { membersView } from "./members";
import { memberPersonalMenu, memberPersonalParts } from "./reportsMember";
import {
  assignableRoles,
  memberActions,
  moderationApi,
  MUTE_CHOICES,
  type AssignableRole,
  type CircleRole,
  type Permissions,
} from "./moderationApi";
import type { View } from "./view";

export function moderatedMembersView(circleId: string): View {
  const base = membersView(circleId);
  let perms: Permissions | null = null;
  // Outcomes are said above the list: a success redraws the rows (and their open menus).
  const outcome = h("p", { class: "muted", testid: "moderation-status", attrs: { role: "status" } });

  function decorate(): void {
    if (!perms) return;
    for (const row of base.el.querySelectorAll<HTMLElement>('[data-testid="member-item"]')) {
      if (row.querySelector('[data-testid="member-menu-toggle"]')) continue;
      const userId = row.dataset.userId ?? "";
      const role = (row.dataset.role ?? "member") as CircleRole;
      if (userId === store.me?.id || row.querySelector('[data-testid="member-personal-toggle"]')) continue;
      const can = memberActions(perms, role, false);
      const name = row.querySelector('[data-testid="member-name"]')?.textContent ?? "this member";
      // Everyone reports or blocks another member; staff get those in their moderation menu.
      if (!can.role && !can.mute && !can.kick && !can.ban) row.append(memberPersonalMenu(circleId, userId, name));
      else row.append(menuFor(userId, name, role, can));
    }
  }

  function menuFor(userId: string, name: string, role: CircleRole, can: ReturnType<typeof memberActions>): HTMLElement {
    const menu = h("div", { class: "member-menu", testid: "member-menu", attrs: { role: "menu" } });
    menu.hidden = true;
    const toggle = h(
      "button",
      {
        class: "icon",
        testid: "member-menu-toggle",
        attrs: { type: "button", "aria-haspopup": "menu", "aria-label": `Moderate ${name}` },
        on: {
          click: () => {
            menu.hidden = !menu.hidden;
          },
        },
      },
      "⋯",
    );
    const status = h("p", { class: "muted", testid: "member-menu-status", attrs: { role: "status" } });
    const reason = h("input", {
      testid: "member-reason",
      attrs: { type: "text", maxlength: 500, placeholder: "Reason (kept in the audit log)" },
    });

    async function run(label: string, action: () => Promise<unknown>): Promise<void> {
      status.textContent = `${label}…`;
      try {
        await action();
        status.textContent = "";
        outcome.textContent = `${label}: done (${name}).`;
        await base.reload();
      } catch (err) {
        status.textContent = describeError(err);
      }
    }

    const parts: HTMLElement[] = [reason];
    if (can.role && perms) {
      const select = h(
        "select",
        { testid: "member-role-select", attrs: { "aria-label": "Role" } },
        ...assignableRoles(perms.role).map((r) => h("option", { attrs: { value: r, selected: r === role } }, r)),
      );
      parts.push(
        h(
          "div",
          { class: "row" },
          select,
          h(
            "button",
            {
              testid: "member-set-role",
              attrs: { type: "button" },
              on: { click: () => run("Role change", () => moderationApi.setRole(circleId, userId, select.value as AssignableRole, reason.value)) },
            },
            "Set role",
          ),
        ),
      );
    }
    if (can.mute) {
      const duration = h(
        "select",
        { testid: "member-mute-duration", attrs: { "aria-label": "Mute for" } },
        ...MUTE_CHOICES.map(([label, seconds]) => h("option", { attrs: { value: seconds } }, label)),
      );
      parts.push(
        h(
          "div",
          { class: "row" },
          duration,
          h(
            "button",
            {
              testid: "member-mute",
              attrs: { type: "button" },
              on: { click: () => run("Mute", () => moderationApi.mute(circleId, userId, Number(duration.value), reason.value)) },
            },
            "Mute",
          ),
          h(
            "button",
            { testid: "member-unmute", attrs: { type: "button" }, on: { click: () => run("Unmute", () => moderationApi.unmute(circleId, userId)) } },
            "Unmute",
          ),
        ),
      );
    }
    const removal = h("div", { class: "row" });
    if (can.kick) {
      removal.append(
        h(
          "button",
          {
            testid: "member-kick",
            attrs: { type: "button" },
            on: {
              click: async () => {
                const ok = await confirmAction({
                  title: `Remove ${name}?`,
                  message: ["They leave the circle now and may join again."],
                  confirm: "Remove",
                  danger: true,
                });
                if (ok) await run("Remove", () => moderationApi.kick(circleId, userId, reason.value));
              },
            },
          },
          "Remove (kick)",
        ),
      );
    }
    if (can.ban) {
      removal.append(
        h(
          "button",
          {
            class: "danger",
            testid: "member-ban",
            attrs: { type: "button" },
            on: {
              click: async () => {
                const ok = await confirmAction({
                  title: `Ban ${name}?`,
                  message: ["They leave the circle now and cannot join again or see it until unbanned."],
                  confirm: "Ban",
                  danger: true,
                });
                if (ok) await run("Ban", () => moderationApi.ban(circleId, userId, reason.value));
              },
            },
          },
          "Ban",
        ),
      );
    }
    parts.push(removal, memberPersonalParts(circleId, userId, name), status);
    replaceChildren(menu, ...parts);
    return h("div", { class: "member-moderation" }, toggle, menu);
  }

  const observer = new MutationObserver(decorate);
  observer.observe(base.el, { childList: true, subtree: true });
  void moderationApi
    .permissions(circleId)
    .then((p) => {
      perms = p;
      base.el.querySelector("h2")?.after(outcome);
      // Staff reach the circle's settings (slow mode, rules, invites, audit log) from here.
      if (p.permissions.includes("view_reports")) {
        base.el.querySelector("h2")?.after(
          h("a", { class: "button", testid: "circle-reports-link", attrs: { href: circleReportsHash(circleId) } }, "Reports"),
        );
      }
      if (p.permissions.includes("manage_circle") || p.permissions.includes("view_audit")) {
        base.el.querySelector("h2")?.after(
          h("a", { class: "button", testid: "circle-settings-link", attrs: { href: circleSettingsHash(circleId) } }, "Circle settings"),
        );
      }
      decorate();
    })
    .catch((err) => console.warn("permissions failed", err));

  return {
    el: base.el,
    dispose: () => {
      observer.disconnect();
      base.dispose?.();
    },
  };
}
