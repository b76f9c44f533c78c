// The organiser's check-in page (#/activity/<id>/checkin): enter (or paste, or type from a
// scanner) an attendee's ticket code; each answer is listed, newest first, with the refusal
// reasons spelled out (invalid_code, wrong_activity, expired, already_checked_in, not_confirmed).

import { activities, activityError, errorReason, REASONS } from "../activities";
import { api } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { activityHash } from "../router";
import { store } from "../store";
import type { Attendee } from "../types";
import { attendeesView } from "./activity";
import type { View } from "./view";

const CHECKIN_REASONS: Record<string, string> = {
  invalid_code: "Not a valid ticket code. Check it was copied completely.",
  wrong_activity: "This ticket is for another activity.",
  expired: "This code has expired (codes last 60 seconds). Ask the attendee to show the current one.",
  already_checked_in: "Already checked in: this ticket was used before.",
  not_confirmed: "This person has no confirmed seat.",
};

export function checkinView(id: string): View {
  const heading = h("h1", {}, "Check-in");
  const input = h("input", {
    class: "checkin-input",
    testid: "checkin-code",
    attrs: { required: true, maxlength: 512, autocomplete: "off", spellcheck: "false", placeholder: "Ticket code", "aria-label": "Ticket code" },
  });
  const submit = h("button", { class: "primary", testid: "checkin-submit", attrs: { type: "submit" } }, "Check in");
  const results = h("ol", { class: "checkin-results", testid: "checkin-results" });
  const attendees = attendeesView(id);
  let names = new Map<string, Attendee>();
  let busy = false;

  async function lookupNames(): Promise<void> {
    try {
      const { signups } = await api.attendees(id);
      names = new Map(signups.map((s) => [s.user_id, s]));
    } catch {
      // names are a nicety; the result still shows
    }
  }

  function result(kind: string, ...children: Array<Node | string>): void {
    const ok = kind === "ok";
    results.prepend(
      h(
        "li",
        { class: `checkin-result ${ok ? "ok" : "refused"}`, testid: "checkin-result", dataset: { result: kind } },
        h("span", { class: "checkin-mark", attrs: { "aria-hidden": "true" } }, ok ? "✓" : "✗"),
        h("span", { testid: "checkin-result-text" }, ...children),
      ),
    );
  }

  const form = h(
    "form",
    {
      class: "form-card checkin-form",
      testid: "checkin-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const code = input.value.trim();
          if (!code || busy) return;
          busy = true;
          submit.disabled = true;
          try {
            const { signup } = await api.checkin(id, code);
            if (!names.has(signup.user_id)) await lookupNames();
            const who = names.get(signup.user_id);
            result(
              "ok",
              "Checked in: ",
              userText(who?.display_name ?? store.displayName(signup.user_id), "checkin-name"),
              who ? ` (@${who.handle})` : "",
            );
            input.value = "";
            void attendees.reload();
          } catch (err) {
            const reason = errorReason(err);
            const text = reason ? (CHECKIN_REASONS[reason] ?? REASONS[reason]) : null;
            result(reason ?? "error", text ?? activityError(err));
          } finally {
            busy = false;
            submit.disabled = false;
            input.focus();
          }
        },
      },
    },
    h("label", { class: "field" }, "Ticket code", input),
    h("div", { class: "form-buttons" }, submit),
  );

  const el = h(
    "section",
    { class: "pane activity-pane", testid: "checkin-view", dataset: { activityId: id } },
    h("div", { class: "crumbs" }, h("a", { testid: "checkin-back", attrs: { href: activityHash(id) } }, "← Activity")),
    h("header", { class: "pane-header" }, heading),
    form,
    results,
    attendees.el,
  );

  function draw(): void {
    activities.ensure(id);
    const a = activities.get(id).activity;
    if (a) {
      replaceChildren(heading, "Check-in: ", userText(a.title, "checkin-title"));
      attendees.follow(a.version);
    }
  }

  const unsub = store.subscribe(`activity:${id}`, draw);
  draw();
  void lookupNames();
  queueMicrotask(() => input.focus());
  return { el, dispose: unsub };
}
