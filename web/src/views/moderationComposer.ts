// What stands between a member and the composer in a circle, from
// `GET /api/circles/{id}/permissions`: the circle's rules (a newcomer reads and accepts them
// before the composer works), a mute (the time left, counted down; the composer is inert until
// it ends) and slow mode (the wait before the next message, counted down after each send).
// The server refuses in every case anyway; this says why before the member types.

import { describeError } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { formatWait, moderationApi, type Permissions } from "./moderationApi";
import type { View } from "./view";

export interface ComposerGate extends View {
  /** A message was just sent: start the slow-mode wait. */
  sent(): void;
  reload(): Promise<void>;
}

export function composerGate(circleId: string, composerEl: HTMLElement): ComposerGate {
  const el = h("div", { class: "composer-gate", testid: "composer-gate", attrs: { "aria-live": "polite" } });
  let perms: Permissions | null = null;
  let nextSendAt = 0;
  let timer: number | null = null;

  function exempt(): boolean {
    return perms?.permissions.includes("moderate") ?? false;
  }

  function render(): void {
    const parts: HTMLElement[] = [];
    let blocked = false;
    const rules = perms?.rules;
    if (rules && rules.text && rules.accepted === false) {
      blocked = true;
      const error = h("p", { class: "error" });
      parts.push(
        h(
          "div",
          { class: "rules-box", testid: "rules-box" },
          h("h3", {}, "Circle rules"),
          userText(rules.text, "rules-text"),
          h(
            "button",
            {
              class: "primary",
              testid: "rules-accept",
              attrs: { type: "button" },
              on: {
                click: async () => {
                  try {
                    await moderationApi.acceptRules(circleId, rules.version);
                    await reload();
                  } catch (err) {
                    error.textContent = describeError(err);
                    await reload();
                  }
                },
              },
            },
            "I accept the rules",
          ),
          error,
        ),
      );
    }
    const mutedLeft = perms?.muted_until ? (Date.parse(perms.muted_until) - Date.now()) / 1000 : 0;
    if (mutedLeft > 0) {
      blocked = true;
      parts.push(
        h("p", { class: "error", testid: "muted-notice" }, `You are muted in this circle: ${formatWait(mutedLeft)} left.`),
      );
    }
    const wait = (nextSendAt - Date.now()) / 1000;
    if (!exempt() && perms && perms.slow_mode_seconds > 0) {
      parts.push(
        h(
          "p",
          { class: "muted", testid: "slow-mode-notice" },
          wait > 0
            ? `Slow mode: you can send again in ${formatWait(wait)}.`
            : `Slow mode: one message every ${formatWait(perms.slow_mode_seconds)}.`,
        ),
      );
    }
    replaceChildren(el, ...parts);
    composerEl.inert = blocked;
    // inert keeps focus and clicks out; the text box also says so to assistive technology.
    for (const box of composerEl.querySelectorAll("textarea")) box.readOnly = blocked;
    composerEl.classList.toggle("gated", blocked);
    const ticking = mutedLeft > 0 || wait > 0;
    if (ticking && timer === null) timer = window.setInterval(render, 1000);
    if (!ticking && timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  async function reload(): Promise<void> {
    try {
      perms = await moderationApi.permissions(circleId);
    } catch {
      perms = null; // not a member (any more): the chat view says so
    }
    render();
  }

  void reload();
  return {
    el,
    reload,
    sent: () => {
      if (!perms || exempt() || perms.slow_mode_seconds <= 0) return;
      nextSendAt = Date.now() + perms.slow_mode_seconds * 1000;
      render();
    },
    dispose: () => {
      if (timer !== null) window.clearInterval(timer);
      composerEl.inert = false;
      for (const box of composerEl.querySelectorAll("textarea")) box.readOnly = false;
    },
  };
}
