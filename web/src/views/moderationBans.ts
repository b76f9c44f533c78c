// The circle's bans (`GET /api/circles/{id}/bans`, `moderate`), each with its reason and an
// Unban button. Names come from the store when the app has seen them (a banned user is no
// longer in the member list).

import { describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { formatWhen } from "../format";
import { store } from "../store";
import { moderationApi } from "./moderationApi";
import type { View } from "./view";

export function bansView(circleId: string): View {
  const list = h("ul", { class: "ban-list", testid: "ban-list" });
  const status = h("p", { class: "muted", testid: "bans-status", attrs: { role: "status" } });

  async function load(): Promise<void> {
    try {
      const { bans } = await moderationApi.bans(circleId);
      replaceChildren(
        list,
        ...bans.map((ban) =>
          h(
            "li",
            { testid: "ban-item", dataset: { userId: ban.user_id } },
            h("span", { testid: "ban-name" }, store.displayName(ban.user_id)),
            h(
              "span",
              { class: "muted" },
              ` · ${formatWhen(ban.banned_at)} by ${store.displayName(ban.banned_by)}${ban.reason ? ` · ${ban.reason}` : ""} `,
            ),
            h(
              "button",
              {
                testid: "ban-unban",
                attrs: { type: "button" },
                on: {
                  click: async () => {
                    try {
                      await moderationApi.unban(circleId, ban.user_id);
                      status.textContent = `${store.displayName(ban.user_id)} may join again.`;
                      await load();
                    } catch (err) {
                      status.textContent = describeError(err);
                    }
                  },
                },
              },
              "Unban",
            ),
          ),
        ),
      );
      if (bans.length === 0 && !status.textContent) status.textContent = "Nobody is banned.";
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  void load();
  return { el: h("section", { class: "bans", testid: "bans" }, h("h2", {}, "Banned"), status, list) };
}
