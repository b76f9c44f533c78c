// Asking to join a circle that approves its members: the circle's questions with an answer box
// each, then the request's state ("Request pending" with Withdraw, declined with the reason,
// approved), kept live by `circle:join_decided`. Used by the circle page (in place of Join) and
// by an invite link whose join was refused `approval_required`.

import { api, ApiError, describeError } from "../api";
import { openCircle } from "../circles";
import { h, replaceChildren, userText } from "../dom";
import { answersProblem, joinApi, onJoinDecided, requestStateText, type JoinRequest } from "./joinRequests";
import type { View } from "./view";

export function joinRequestPanel(circleId: string, questions: string[], invite: string | null = null): View {
  const el = h("section", { class: "join-request stack", testid: "join-request", dataset: { circleId } });
  let shown: JoinRequest["status"] | "none" = "none";

  function form(again: boolean): HTMLElement {
    const boxes = questions.map((q, i) =>
      h("textarea", { testid: "join-answer", dataset: { index: i }, attrs: { rows: 2, maxlength: 1000, "aria-label": q } }),
    );
    const error = h("p", { class: "error", testid: "join-request-error", attrs: { role: "alert" } });
    const submit = h("button", { class: "primary", testid: "join-request-submit", attrs: { type: "submit" } }, again ? "Ask again" : "Ask to join");
    return h(
      "form",
      {
        class: "stack",
        testid: "join-request-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            const answers = boxes.map((b) => b.value.trim());
            const problem = answersProblem(questions, answers);
            if (problem) {
              error.textContent = problem;
              return;
            }
            submit.disabled = true;
            try {
              draw((await joinApi.ask(circleId, answers, invite)).request);
            } catch (err) {
              error.textContent = describeError(err);
              submit.disabled = false;
            }
          },
        },
      },
      h("p", {}, "This circle's staff approve new members.", questions.length ? " Please answer:" : ""),
      ...questions.map((q, i) => h("label", { class: "join-question" }, userText(q, "join-question"), boxes[i])),
      error,
      submit,
    );
  }

  function draw(r: Pick<JoinRequest, "status" | "reason"> | null): void {
    shown = r?.status ?? "none";
    el.dataset.state = shown;
    if (!r || r.status === "withdrawn") {
      replaceChildren(el, r ? h("p", { class: "muted", testid: "join-request-state" }, requestStateText(r)) : null, form(false));
      return;
    }
    const state = h("p", { class: r.status === "declined" ? "error" : "", testid: "join-request-state", attrs: { role: "status" } }, requestStateText(r));
    if (r.status === "pending") {
      const withdraw = h(
        "button",
        {
          testid: "join-request-withdraw",
          attrs: { type: "button" },
          on: {
            click: async () => {
              try {
                await joinApi.withdraw(circleId);
                draw({ status: "withdrawn", reason: "" });
              } catch (err) {
                state.textContent = describeError(err);
              }
            },
          },
        },
        "Withdraw request",
      );
      replaceChildren(el, state, withdraw);
    } else if (r.status === "declined") {
      replaceChildren(el, state, form(true));
    } else {
      const open = h(
        "button",
        { class: "primary", testid: "join-request-open", attrs: { type: "button" }, on: { click: async () => openCircle((await api.getCircle(circleId)).circle) } },
        "Open chat",
      );
      replaceChildren(el, state, open);
    }
  }

  const unsub = onJoinDecided((d) => {
    if (d.circle_id === circleId) draw({ status: d.status, reason: d.reason });
  });
  el.append(h("p", { class: "muted" }, "Loading…"));
  joinApi
    .mine(circleId)
    .then(({ request }) => {
      if (shown === "none") draw(request);
    })
    .catch((err) => {
      if (err instanceof ApiError && err.code === "not_found") draw(null);
      else replaceChildren(el, h("p", { class: "error", testid: "join-request-error" }, describeError(err)));
    });
  return { el, dispose: unsub };
}
