// Lists of activities: a circle's (GET /api/circles/{id}/activities?when=) and "My activities"
// (GET /api/me/activities?when=), each with Upcoming / Past tabs.

import { activities, activityError } from "../activities";
import { api, type When } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { formatRange } from "../format";
import { activityHash, circleActivitiesHash, conversationHash, myActivitiesHash, newActivityHash } from "../router";
import { store } from "../store";
import type { Activity, Signup } from "../types";
import { countsNodes, placeNodes, statusBadge } from "./activityCard";
import type { View } from "./view";

const MY_STATUS: Record<string, string> = {
  confirmed: "going",
  waitlisted: "waitlisted",
  offered: "seat offered",
  pending_payment: "payment pending",
  cancelled: "cancelled",
  attended: "attended",
};

type Tab = When | "hosting";

function tabs<T extends Tab>(when: T, hashOf: (w: T) => string, extra: Array<[T, string]> = []): HTMLElement {
  const tab = (w: T, label: string) =>
    h(
      "a",
      {
        class: `tab${w === when ? " active" : ""}`,
        testid: `activities-tab-${w}`,
        attrs: { href: hashOf(w), "aria-current": w === when ? "page" : null },
      },
      label,
    );
  const base: Array<[T, string]> = [
    ["upcoming" as T, "Upcoming"],
    ["past" as T, "Past"],
  ];
  return h("nav", { class: "tabs" }, ...[...base, ...extra].map(([w, label]) => tab(w, label)));
}

function activityItem(a: Activity, signup: Signup | null, hosting = false): HTMLElement {
  activities.applyActivity(a);
  return h(
    "li",
    { class: "activity-item", testid: "activity-item", dataset: { activityId: a.id, status: a.status } },
    h(
      "div",
      { class: "activity-head" },
      h("a", { class: "activity-title", attrs: { href: activityHash(a.id) } }, userText(a.title, "activity-item-title")),
      statusBadge(a.status),
      signup
        ? h("span", { class: `pill signup-${signup.status}`, testid: "activity-item-my-status", dataset: { status: signup.status } }, MY_STATUS[signup.status] ?? signup.status)
        : null,
      hosting ? h("span", { class: "pill hosting", testid: "activity-item-hosting" }, "You're hosting") : null,
    ),
    h("div", { class: "activity-when muted" }, h("time", { attrs: { datetime: a.starts_at } }, formatRange(a.starts_at, a.ends_at))),
    h("div", { class: "activity-where" }, placeNodes(a.location)),
    countsNodes(a),
  );
}

export function circleActivitiesView(circleId: string, when: When): View {
  const heading = h("h1", {}, "Activities");
  const actions = h("div", { class: "chat-actions" });
  const status = h("p", { class: "muted", testid: "activity-list-status", attrs: { role: "status" } }, "Loading…");
  const list = h("ul", { class: "activity-list", testid: "activity-list" });
  const back = h("div", { class: "crumbs" });
  const el = h(
    "section",
    { class: "pane activity-pane", testid: "circle-activities-view" },
    back,
    h("header", { class: "pane-header" }, heading, actions),
    tabs(when, (w) => circleActivitiesHash(circleId, w)),
    status,
    list,
  );

  void (async () => {
    try {
      const [{ circle }, { activities: found }] = await Promise.all([
        api.getCircle(circleId),
        api.circleActivities(circleId, when),
      ]);
      replaceChildren(heading, "Activities in ", userText(circle.name, "activity-list-circle"));
      replaceChildren(back, h("a", { attrs: { href: conversationHash(circle.conversation_id) } }, "← Back to the chat"));
      if (circle.my_role === "owner" || circle.my_role === "admin") {
        actions.append(h("a", { class: "button primary", testid: "new-activity-link", attrs: { href: newActivityHash(circleId) } }, "+ New activity"));
      }
      replaceChildren(list, ...found.map((a) => activityItem(a, null)));
      status.textContent = found.length ? "" : when === "upcoming" ? "No upcoming activities." : "No past activities.";
      list.dataset.loaded = "true";
    } catch (err) {
      status.textContent = activityError(err);
    }
  })();
  return { el };
}

export function myActivitiesView(when: Tab): View {
  const status = h("p", { class: "muted", testid: "activity-list-status", attrs: { role: "status" } }, "Loading…");
  const list = h("ul", { class: "activity-list", testid: "activity-list" });
  const el = h(
    "section",
    { class: "pane activity-pane", testid: "my-activities-view" },
    h("header", { class: "pane-header" }, h("h1", {}, "My activities")),
    tabs<Tab>(when, myActivitiesHash, [["hosting", "Hosting"]]),
    status,
    list,
  );
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    try {
      if (when === "hosting") {
        // Activities you organise (GET /api/me/hosting), soonest first.
        const { activities: hosted } = await api.hostedActivities("upcoming");
        if (mine !== generation) return;
        replaceChildren(list, ...hosted.map((a) => activityItem(a, null, true)));
        status.textContent = hosted.length ? "" : "You are not hosting anything coming up.";
        list.dataset.loaded = "true";
        return;
      }
      const { items } = await api.myActivities(when);
      if (mine !== generation) return;
      replaceChildren(list, ...items.map((it) => activityItem(it.activity, it.signup)));
      status.textContent = items.length
        ? ""
        : when === "upcoming"
          ? "You have not signed up for anything coming up. Activities you organise are under Hosting."
          : "Nothing in the past yet.";
      list.dataset.loaded = "true";
    } catch (err) {
      if (mine === generation) status.textContent = activityError(err);
    }
  }

  void load();
  // Signing up or cancelling elsewhere (another tab, a notification) changes the list.
  const unsub = store.subscribe("notifications", () => void load());
  return { el, dispose: unsub };
}
