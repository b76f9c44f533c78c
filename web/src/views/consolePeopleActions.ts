// The members page's actions (views/consolePeople.ts): Message (a DM to each), Announce (an
// announcement card in the circle, told to each), Invite to activity (a DM with the activity's
// card) and Tag (add or remove a tag), for the selected members or everyone the filter matches;
// a counts line after each. The server resolves a filter itself at the moment of the send.

import { api, describeError } from "../api";
import { editTags, hasFilter, outreachRequest, sendCounts, tagSlug, type Audience, type PeopleFilter } from "../console/people";
import { peopleApi } from "../console/peopleApi";
import type { MemberStanding, Outreach, OutreachKind } from "../console/wire";
import { h, replaceChildren } from "../dom";
import { formatWhen } from "../format";
import { newClientId } from "../ids";
import { store } from "../store";

type Action = OutreachKind | "tag";

const LABEL: Record<Action, string> = { dm: "Message", announcement: "Announce", invite: "Invite to activity", tag: "Tag" };
const SEND_LABEL: Record<OutreachKind, string> = { dm: "Send the message", announcement: "Post the announcement", invite: "Send the invitation" };

export interface ActionsContext {
  circleId: string;
  filter: PeopleFilter;
  /** The members shown (the filter's members as listed). */
  shown: () => MemberStanding[];
  /** The selected ids among those shown. */
  selected: () => string[];
  /** After a send (to refresh the outreach table) or a tag change (to reload the list). */
  onSent: (o: Outreach) => void;
  onTagged: () => void;
}

export interface ActionsPanel {
  el: HTMLElement;
  /** Redraw the targets' counts after the selection changed. */
  update: () => void;
}

export function peopleActions(ctx: ActionsContext): ActionsPanel {
  const status = h("p", { class: "people-status", testid: "people-sent", attrs: { role: "status" } });
  const problem = h("p", { class: "error", testid: "people-action-error", attrs: { role: "alert" } });
  const toSelected = h("input", { testid: "people-target-selected", attrs: { type: "radio", name: "people-target", value: "selected", checked: true } });
  const toFilter = h("input", { testid: "people-target-filter", attrs: { type: "radio", name: "people-target", value: "filter", disabled: !hasFilter(ctx.filter) } });
  const selectedLabel = h("span");
  const filterLabel = h("span");
  const panel = h("div", { class: "people-action-panel", testid: "people-action-panel" });
  let busy = false;
  let open: Action | null = null;

  const buttons = (["dm", "announcement", "invite", "tag"] as const).map((a) =>
    h("button", { testid: `people-action-${a}`, attrs: { type: "button" }, on: { click: () => show(a) } }, LABEL[a]),
  );

  function audience(): Audience {
    return toFilter.checked ? { filter: ctx.filter } : { userIds: ctx.selected() };
  }

  /** The members a tag change applies to (tags are changed one member at a time). */
  function tagTargets(): MemberStanding[] {
    if (toFilter.checked) return ctx.shown();
    const ids = new Set(ctx.selected());
    return ctx.shown().filter((m) => ids.has(m.user_id));
  }

  function update(): void {
    const n = ctx.selected().length;
    selectedLabel.textContent = ` Selected (${n})`;
    // The server leaves the sender out of a filter's recipients.
    const others = ctx.shown().filter((m) => m.user_id !== store.me?.id).length;
    filterLabel.textContent = hasFilter(ctx.filter) ? ` Everyone matching the filter (${others})` : " Everyone matching the filter (choose one first)";
    buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.testid === `people-action-${open}`)));
  }

  function show(a: Action): void {
    open = a;
    problem.textContent = "";
    replaceChildren(panel, a === "tag" ? tagForm() : sendForm(a));
    panel.querySelector<HTMLElement>("textarea, input")?.focus();
    update();
  }

  function sendForm(kind: OutreachKind): HTMLElement {
    const text = h("textarea", {
      testid: "people-text",
      attrs: { rows: 3, maxlength: 2000, "aria-label": "Message", placeholder: kind === "invite" ? "A note with the invitation" : "Your message" },
    });
    const activity = h("select", { testid: "people-activity", attrs: { "aria-label": "Activity" } }, h("option", { attrs: { value: "" } }, "Loading activities…"));
    if (kind === "invite") {
      api
        .circleActivities(ctx.circleId, "upcoming")
        .then(({ activities }) => {
          const upcoming = activities.filter((a) => a.status !== "cancelled");
          replaceChildren(
            activity,
            h("option", { attrs: { value: "" } }, upcoming.length ? "Pick an activity" : "No upcoming activities"),
            ...upcoming.map((a) => h("option", { attrs: { value: a.id } }, `${a.title} · ${formatWhen(a.starts_at)}`)),
          );
        })
        .catch((err: unknown) => (problem.textContent = describeError(err)));
    }
    const send = h("button", { class: "primary", testid: "people-send", attrs: { type: "submit" } }, SEND_LABEL[kind]);
    // Kept until the send succeeds, so a retry after a lost answer reaches nobody twice.
    let clientId = newClientId();
    return h(
      "form",
      {
        class: "people-send-form",
        on: {
          submit: async (ev) => {
            ev.preventDefault();
            if (busy) return;
            const req = outreachRequest(kind, text.value, audience(), activity.value || null, clientId);
            if ("problem" in req) {
              problem.textContent = req.problem;
              return;
            }
            busy = true;
            send.disabled = true;
            problem.textContent = "";
            try {
              const { outreach } = await peopleApi.send(ctx.circleId, req.body);
              status.textContent = sendCounts(outreach);
              status.dataset.recipients = String(outreach.recipients);
              status.dataset.delivered = String(outreach.delivered);
              text.value = "";
              clientId = newClientId();
              ctx.onSent(outreach);
            } catch (err) {
              problem.textContent = describeError(err);
            } finally {
              busy = false;
              send.disabled = false;
            }
          },
        },
      },
      text,
      kind === "invite" ? activity : null,
      send,
    );
  }

  function tagForm(): HTMLElement {
    const tag = h("input", { testid: "people-tag", attrs: { type: "text", maxlength: 32, "aria-label": "Tag", placeholder: "a tag, e.g. vip" } });
    const change = async (add: boolean) => {
      if (busy) return;
      const slug = tagSlug(tag.value);
      if (!slug) {
        problem.textContent = "A tag is 1 to 32 lowercase letters, digits or dashes.";
        return;
      }
      const targets = tagTargets();
      if (!targets.length) {
        problem.textContent = "Select at least one member.";
        return;
      }
      busy = true;
      problem.textContent = "";
      let changed = 0;
      let full = 0;
      try {
        // One member at a time: each PUT replaces that member's tags whole.
        for (const m of targets) {
          const current = m.tags;
          const next = editTags(current, slug, add);
          if (next === null) full++;
          else if (next.length !== current.length) {
            await peopleApi.putTags(ctx.circleId, m.user_id, next);
            changed++;
          }
        }
        const limit = full ? `; ${full} already had 10 tags` : "";
        status.textContent = `Tag ${slug} ${add ? "added to" : "removed from"} ${changed} ${changed === 1 ? "member" : "members"}${limit}.`;
      } catch (err) {
        problem.textContent = describeError(err);
      } finally {
        busy = false;
        ctx.onTagged();
      }
    };
    return h(
      "div",
      { class: "people-tag-form" },
      tag,
      h("button", { testid: "people-tag-add", attrs: { type: "button" }, on: { click: () => change(true) } }, "Add tag"),
      h("button", { testid: "people-tag-remove", attrs: { type: "button" }, on: { click: () => change(false) } }, "Remove tag"),
    );
  }

  update();
  const el = h(
    "section",
    { class: "console-section people-actions", testid: "people-actions" },
    h("h2", {}, "Act on them"),
    h("div", { class: "people-targets" }, h("label", {}, toSelected, selectedLabel), h("label", {}, toFilter, filterLabel)),
    h("div", { class: "tool-buttons" }, ...buttons),
    panel,
    problem,
    status,
  );
  return { el, update };
}
