// The organiser's view of referral attribution: how many sign-ups (an activity) or joins (a
// circle) came from share links, per channel and per sharer (GET /api/…/{id}/referrals).

import { describeError } from "./api";
import { h, replaceChildren, userText } from "./dom";
import type { Target } from "./referral";
import { referrals, type Referrals } from "./referralApi";

const CHANNEL_LABEL: Record<string, string> = { link: "link", poster: "poster", going: "“I'm going”" };

function channels(by: Referrals["by_channel"]): string {
  return (["link", "poster", "going"] as const)
    .filter((ch) => by[ch] > 0)
    .map((ch) => `${by[ch]} by ${CHANNEL_LABEL[ch]}`)
    .join(", ");
}

/** A panel that loads the counts when shown and again on `reload()`. */
export function referralsPanel(target: Target, id: string): { el: HTMLElement; reload: () => Promise<void> } {
  const summary = h("p", { class: "muted", testid: "referrals-summary" }, "Loading…");
  const visits = h("p", { class: "muted", testid: "referral-visits" });
  const list = h("ul", { class: "referral-list", testid: "referral-list" });
  const el = h(
    "div",
    { class: "referrals", testid: "referrals", dataset: { target } },
    h("h3", {}, "From share links"),
    summary,
    visits,
    list,
  );

  async function reload(): Promise<void> {
    try {
      const found = await referrals(target, id);
      el.dataset.total = String(found.total);
      const what = target === "activity" ? "sign-up" : "join";
      summary.textContent = found.total
        ? `${found.total} ${what}${found.total === 1 ? "" : "s"} came from share links (${channels(found.by_channel)}).`
        : `No ${what}s from share links yet.`;
      const seen = found.visits ? found.visits.link + found.visits.poster + found.visits.going : 0;
      visits.hidden = !found.visits;
      visits.textContent = found.visits
        ? `${seen} visitor${seen === 1 ? "" : "s"} opened a share page${seen ? ` (${channels(found.visits)})` : ""}.`
        : "";
      replaceChildren(
        list,
        ...found.by_sharer.map((s) =>
          h(
            "li",
            { testid: "referral-sharer", dataset: { userId: s.user_id, count: s.count } },
            userText(s.display_name ?? "A former member", "referral-sharer-name"),
            s.handle ? h("span", { class: "muted handle" }, ` @${s.handle}`) : null,
            h("span", { class: "pill", testid: "referral-count" }, String(s.count)),
            h("span", { class: "muted" }, ` ${channels(s.by_channel)}`),
          ),
        ),
      );
    } catch (err) {
      summary.textContent = describeError(err);
    }
  }

  void reload();
  return { el, reload };
}
