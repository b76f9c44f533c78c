// The invite link target: #/join/<circle_id>?invite=<token>. Joins, then opens the circle.
// Also the share page's Join button (#/join/<circle_id>?ref=<sharer>&ch=<channel>): the join
// carries the share link it came from (referral.ts).

import { api, describeError } from "../api";
import { openCircle } from "../circles";
import { h } from "../dom";
import { captureReferral } from "../referral";
import { joinWithReferral } from "../referralApi";
import { approvalQuestions } from "./joinRequests";
import { joinRequestPanel } from "./joinRequestsAsk";
import type { View } from "./view";

export function joinView(circleId: string, invite: string | null): View {
  const status = h("p", { testid: "join-status", attrs: { role: "status" } }, "Joining circle…");
  const el = h(
    "section",
    { class: "pane join", testid: "join-view" },
    h("header", { class: "pane-header" }, h("h1", {}, "Join a circle")),
    status,
  );
  captureReferral(window.location.hash);
  let asking: View | null = null;
  (async () => {
    await joinWithReferral(circleId, invite ?? undefined);
    await openCircle((await api.getCircle(circleId)).circle);
  })().catch((err) => {
    // A circle that approves its members: ask with the answers (the invite goes along).
    const questions = approvalQuestions(err);
    if (questions) {
      status.textContent = "";
      el.append((asking = joinRequestPanel(circleId, questions, invite)).el);
      return;
    }
    status.textContent = `Could not join: ${describeError(err)}`;
    status.classList.add("error");
    el.append(h("a", { class: "button", attrs: { href: "#/explore" } }, "Explore circles"));
  });
  return { el, dispose: () => asking?.dispose?.() };
}
