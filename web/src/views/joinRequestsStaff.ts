// The staff side of join approval, in the circle settings: the pending requests with their
// answers, each approved or declined with a reason (`moderate`), and, for owners and admins
// (`manage_circle`), turning approval on with its questions and the newcomers' link hold.

import { api, describeError } from "../api";
import { formatWhen } from "../format";
import { h, replaceChildren, userText } from "../dom";
import type { Circle } from "../types";
import { joinApi, parseQuestions, questionsProblem, type JoinRequest } from "./joinRequests";
import type { View } from "./view";
import type { components } from "../wire.gen";

export type JoinRequested = components["schemas"]["JoinRequestedOut"];

// ---- live requests (chat.ts forwards `circle:join_requested`, sent to staff only) -----------

const requestedListeners = new Set<(r: JoinRequested) => void>();

export function joinRequested(r: JoinRequested): void {
  for (const fn of [...requestedListeners]) fn(r);
}

export function joinRequestsView(circleId: string): View {
  const list = h("ol", { class: "join-request-list", testid: "join-request-list" });
  const note = h("p", { class: "muted", testid: "join-requests-status", attrs: { role: "status" } });
  const refresh = h("button", { class: "link", testid: "join-requests-refresh", attrs: { type: "button" }, on: { click: () => load() } }, "Refresh");

  function row(r: JoinRequest): HTMLElement {
    const reason = h("input", {
      testid: "join-decline-reason",
      attrs: { type: "text", maxlength: 500, placeholder: "Reason (told to them if declined)", "aria-label": "Reason" },
    });
    const status = h("p", { class: "muted", testid: "join-request-item-status", attrs: { role: "status" } });
    const li = h(
      "li",
      { class: "join-request-item", testid: "join-request-item", dataset: { userId: r.user_id } },
      h("p", {}, userText(r.user?.display_name ?? "Someone", "join-request-name"), h("span", { class: "muted" }, ` @${r.user?.handle ?? "?"} · ${formatWhen(r.created_at)}`)),
      h(
        "dl",
        { class: "join-answers", testid: "join-answers" },
        ...r.answers.flatMap((a) => [h("dt", {}, userText(a.question)), h("dd", { testid: "join-answer-text" }, userText(a.answer))]),
      ),
      reason,
      h(
        "div",
        { class: "row" },
        h("button", { class: "primary", testid: "join-approve", attrs: { type: "button" }, on: { click: () => decide(() => joinApi.approve(circleId, r.user_id), "Approved") } }, "Approve"),
        h("button", { class: "danger", testid: "join-decline", attrs: { type: "button" }, on: { click: () => decide(() => joinApi.decline(circleId, r.user_id, reason.value.trim()), "Declined") } }, "Decline"),
      ),
      status,
    );
    async function decide(run: () => Promise<unknown>, done: string): Promise<void> {
      status.textContent = "…";
      try {
        await run();
        li.remove();
        note.textContent = `${done}: ${r.user?.display_name ?? "the request"}.`;
      } catch (err) {
        status.textContent = describeError(err);
      }
    }
    return li;
  }

  let loading: Promise<void> | null = null;
  function load(): Promise<void> {
    const run: Promise<void> = joinApi
      .pending(circleId)
      .then(({ requests }) => {
        replaceChildren(list, ...requests.map(row));
        note.textContent = requests.length ? "" : "No pending join requests.";
      })
      .catch((err: unknown) => {
        note.textContent = describeError(err);
      })
      .finally(() => {
        if (loading === run) loading = null;
      });
    loading = run;
    return run;
  }

  // A new request for this circle joins the end of the list (pending requests are listed
  // oldest first), leaving the other rows and any reason being typed as they are.
  const onRequested = (r: JoinRequested): void => {
    if (r.circle_id !== circleId) return;
    // a list still loading may have been read before this request: add it once it is drawn
    if (loading) return void loading.then(() => onRequested(r));
    const rows = [...list.querySelectorAll<HTMLElement>('[data-testid="join-request-item"]')];
    if (rows.some((li) => li.dataset.userId === r.request.user_id)) return;
    list.append(row(r.request));
    note.textContent = "";
  };
  requestedListeners.add(onRequested);
  void load();
  return {
    el: h("section", { class: "stack join-requests", testid: "join-requests" }, h("h2", {}, "Join requests ", refresh), note, list),
    dispose: () => requestedListeners.delete(onRequested),
  };
}

/** Approval on or off with its questions, and the newcomers' link hold (owners and admins). */
export function joinSettingsView(circleId: string): View {
  const el = h("section", { class: "stack join-settings", testid: "join-settings" }, h("h2", {}, "Joining"), h("p", { class: "muted" }, "Loading…"));

  function draw(c: Circle): void {
    const required = h("input", { testid: "join-approval-required", attrs: { type: "checkbox", checked: c.join_approval } });
    const skip = h("input", { testid: "join-invites-skip", attrs: { type: "checkbox", checked: c.invites_skip_approval } });
    const questions = h("textarea", { testid: "join-questions", attrs: { rows: 4, "aria-label": "Questions, one per line" } });
    questions.value = c.join_questions.join("\n");
    const status = h("p", { class: "muted", testid: "join-approval-status", attrs: { role: "status" } });
    const approval = h(
      "form",
      {
        class: "stack",
        testid: "join-approval-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            const qs = parseQuestions(questions.value);
            const problem = questionsProblem(qs);
            if (problem) {
              status.textContent = problem;
              return;
            }
            try {
              const { circle } = await joinApi.setApproval(circleId, { required: required.checked, questions: qs, invites_skip_approval: skip.checked });
              status.textContent = circle.join_approval ? "New members now ask to join and wait for approval." : "Anyone who may see the circle joins at once.";
            } catch (err) {
              status.textContent = describeError(err);
            }
          },
        },
      },
      h("label", { class: "check" }, required, " New members need approval"),
      h("label", {}, "Questions asked (one per line, up to 5)", questions),
      h("label", { class: "check" }, skip, " Invite links join without approval"),
      h("button", { testid: "join-approval-save", attrs: { type: "submit" } }, "Save joining"),
      status,
    );
    const hours = h("input", { testid: "newcomer-link-hours", attrs: { type: "number", min: 0, max: 720, step: 1, value: c.newcomer_link_hours } });
    const hoursStatus = h("p", { class: "muted", testid: "newcomer-status", attrs: { role: "status" } });
    const newcomers = h(
      "form",
      {
        class: "stack",
        testid: "newcomer-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            try {
              const { circle } = await joinApi.setNewcomers(circleId, Number(hours.value));
              hoursStatus.textContent = circle.newcomer_link_hours
                ? `Links from members who joined less than ${circle.newcomer_link_hours} h ago are held back.`
                : "Newcomers may post links at once.";
            } catch (err) {
              hoursStatus.textContent = describeError(err);
            }
          },
        },
      },
      h("label", {}, "Hours after joining before a member may post links (0 turns it off; moderators are exempt)", hours),
      h("button", { testid: "newcomer-save", attrs: { type: "submit" } }, "Save newcomer links"),
      hoursStatus,
    );
    replaceChildren(el, h("h2", {}, "Joining"), approval, newcomers);
  }

  api
    .getCircle(circleId)
    .then(({ circle }) => draw(circle))
    .catch((err) => replaceChildren(el, h("h2", {}, "Joining"), h("p", { class: "error" }, describeError(err))));
  return { el };
}
