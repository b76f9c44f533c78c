// The invite link target: #/join/<circle_id>?invite=<token>. Joins, then opens the circle.

import { describeError } from "../api";
import { joinAndOpen } from "../circles";
import { h } from "../dom";
import type { View } from "./view";

export function joinView(circleId: string, invite: string | null): View {
  const status = h("p", { testid: "join-status", attrs: { role: "status" } }, "Joining circle…");
  const el = h(
    "section",
    { class: "pane join", testid: "join-view" },
    h("header", { class: "pane-header" }, h("h1", {}, "Join a circle")),
    status,
  );
  joinAndOpen(circleId, invite ?? undefined).catch((err) => {
    status.textContent = `Could not join: ${describeError(err)}`;
    status.classList.add("error");
    el.append(h("a", { class: "button", attrs: { href: "#/explore" } }, "Explore circles"));
  });
  return { el };
}
