// The circle page (#/circle/<id>/about): what a circle shows about itself, from
// GET /api/circles/{id}/page: about, organisers, member count, upcoming activities and recent
// posts, with Join (or Open chat) and Follow. Owners and admins also see the joins that came
// from share links. A share link's `ref`/`ch` on the hash are kept and sent with the join.

import { describeError } from "../api";
import { openCircle } from "../circles";
import { h, replaceChildren, userText } from "../dom";
import { formatRange } from "../format";
import { captureReferral } from "../referral";
import { circlePage, follow, joinWithReferral, type CirclePage } from "../referralApi";
import { referralsPanel } from "../referralView";
import { activityHash, circleActivitiesHash, circlePeopleHash, circleReportHash, circleRevenueHash, conversationHash } from "../router";
import type { Activity } from "../types";
import { countsNodes, placeNodes, statusBadge } from "./activityCard";
import { plural } from "./explore";
import { joinRequestPanel } from "./joinRequestsAsk";
import { circleShareSheet, type ShareSheet } from "./shareSheet";
import type { View } from "./view";

export function circlePageView(circleId: string): View {
  captureReferral(window.location.hash);
  const title = h("h1", { testid: "circle-page-name" }, "Loading…");
  const actions = h("div", { class: "chat-actions", testid: "circle-page-actions" });
  const error = h("p", { class: "error", testid: "circle-page-error", attrs: { role: "alert" } });
  const body = h("div", { class: "circle-page-body" });
  const el = h(
    "section",
    { class: "pane circle-page", testid: "circle-page", dataset: { circleId } },
    h("header", { class: "pane-header" }, title, actions),
    error,
    body,
  );
  let page: CirclePage | null = null;
  let busy = false;
  let share: ShareSheet | null = null; // built once, so an open sheet survives redraws
  let ask: View | null = null; // the join request (circles that approve members), built once

  async function load(): Promise<void> {
    try {
      page = await circlePage(circleId);
      error.textContent = "";
      draw();
    } catch (err) {
      replaceChildren(title, "Circle");
      error.textContent = describeError(err);
    }
  }

  async function act(run: () => Promise<unknown>): Promise<void> {
    if (busy) return;
    busy = true;
    draw();
    try {
      await run();
      error.textContent = "";
    } catch (err) {
      error.textContent = describeError(err);
    } finally {
      busy = false;
    }
    await load();
  }

  function draw(): void {
    if (!page) return;
    const p = page;
    const c = p.circle;
    el.dataset.member = String(p.member);
    el.dataset.following = String(p.following);
    replaceChildren(title, userText(c.name, "circle-page-title"));
    const button = (label: string, testid: string, run: () => Promise<unknown>, cls = "") =>
      h("button", { class: cls, testid, attrs: { type: "button", disabled: busy }, on: { click: () => act(run) } }, label);
    replaceChildren(
      actions,
      p.member
        ? h("a", { class: "button primary", testid: "circle-page-open", attrs: { href: conversationHash(c.conversation_id) } }, "Open chat")
        : c.join_approval
          ? null // asked for below, with the circle's questions
          : button("Join", "circle-page-join", async () => {
            await joinWithReferral(c.id);
            await openCircle(c);
          }, "primary"),
      p.following
        ? button("Following ✓", "circle-page-unfollow", () => follow(c.id, false))
        : button("Follow", "circle-page-follow", () => follow(c.id, true)),
      (share ??= circleShareSheet(c.id, () => page?.circle.name ?? "circle", c.visibility === "private")).el,
      // The organiser console's revenue: owners/admins only, as the server allows.
      c.my_role === "owner" || c.my_role === "admin"
        ? h("a", { class: "button", testid: "circle-page-revenue", attrs: { href: circleRevenueHash(c.id) } }, "Revenue")
        : null,
      c.my_role === "owner" || c.my_role === "admin"
        ? h("a", { class: "button", testid: "circle-page-report", attrs: { href: circleReportHash(c.id) } }, "Report")
        : null,
      c.my_role === "owner" || c.my_role === "admin"
        ? h("a", { class: "button", testid: "circle-page-people", attrs: { href: circlePeopleHash(c.id) } }, "Members")
        : null,
    );
    replaceChildren(
      body,
      !p.member && c.join_approval ? (ask ??= joinRequestPanel(c.id, c.join_questions)).el : null,
      h(
        "div",
        { class: "circle-meta" },
        h("span", { class: `pill ${c.visibility}` }, c.visibility),
        h("span", { class: "pill category", testid: "circle-page-category" }, c.category),
        ...c.tags.map((t) => h("span", { class: "pill tag", testid: "circle-page-tag" }, `#${t}`)),
        h("span", { class: "muted", testid: "circle-page-members", dataset: { count: p.member_count } }, plural(p.member_count, "member")),
      ),
      c.description ? h("p", { class: "circle-description" }, userText(c.description, "circle-page-description")) : null,
      h("h2", {}, "Organisers"),
      h(
        "ul",
        { class: "organiser-list", testid: "circle-page-organisers" },
        ...p.organisers.map((o) =>
          h(
            "li",
            { testid: "circle-page-organiser", dataset: { userId: o.user.id, role: o.role } },
            userText(o.user.display_name),
            h("span", { class: "muted handle" }, ` @${o.user.handle} · ${o.role}`),
          ),
        ),
      ),
      h("h2", {}, "Coming up"),
      p.upcoming.length
        ? h("ul", { class: "activity-list", testid: "circle-page-upcoming" }, ...p.upcoming.map(upcomingItem))
        : h("p", { class: "muted", testid: "circle-page-no-upcoming" }, "Nothing planned yet."),
      p.member ? h("a", { attrs: { href: circleActivitiesHash(c.id) } }, "All activities") : null,
      h("h2", {}, "Posts"),
      p.posts.length
        ? h(
            "ul",
            { class: "post-list", testid: "circle-page-posts" },
            ...p.posts.map((post) => h("li", { testid: "circle-page-post" }, userText(post.text))),
          )
        : h("p", { class: "muted", testid: "circle-page-no-posts" }, "No posts yet."),
      c.my_role === "owner" || c.my_role === "admin" ? referralsPanel("circle", c.id).el : null,
    );
  }

  void load();
  return { el, dispose: () => ask?.dispose?.() };
}

function upcomingItem(a: Activity): HTMLElement {
  return h(
    "li",
    { class: "activity-item", testid: "circle-page-activity", dataset: { activityId: a.id } },
    h(
      "div",
      { class: "activity-head" },
      h("a", { class: "activity-title", attrs: { href: activityHash(a.id) } }, userText(a.title)),
      statusBadge(a.status),
    ),
    h("div", { class: "activity-when muted" }, h("time", { attrs: { datetime: a.starts_at } }, formatRange(a.starts_at, a.ends_at))),
    h("div", { class: "activity-where" }, placeNodes(a.location)),
    countsNodes(a),
  );
}
