// The circle finder of the Explore page (today's circle search): browse and search circles
// (GET /api/circles?q=&category=&tag=), join public ones.

import { api, describeError } from "../api";
import { joinAndOpen, openCircle, slug } from "../circles";
import { h, replaceChildren, userText } from "../dom";
import type { Circle } from "../types";
import type { View } from "./view";

export function circleFinder(): View {
  const q = h("input", {
    testid: "circle-search",
    attrs: { type: "search", placeholder: "Search circles", "aria-label": "Search circles" },
  });
  const category = h("input", {
    testid: "circle-category-filter",
    attrs: { placeholder: "category", "aria-label": "Category" },
  });
  const tag = h("input", {
    testid: "circle-tag-filter",
    attrs: { placeholder: "tag", "aria-label": "Tag" },
  });
  const list = h("ul", { class: "circle-list", testid: "circle-list" });
  const status = h("p", { class: "muted", testid: "circle-list-status", attrs: { role: "status" } });
  let generation = 0;

  async function search(): Promise<void> {
    const mine = ++generation;
    status.textContent = "Loading…";
    try {
      const { circles } = await api.listCircles({
        q: q.value.trim(),
        category: slug(category.value),
        tag: slug(tag.value),
      });
      if (mine !== generation) return;
      replaceChildren(list, ...circles.map(circleItem));
      status.textContent = circles.length ? "" : "No circles match.";
      list.dataset.loaded = "true";
    } catch (err) {
      if (mine === generation) status.textContent = describeError(err);
    }
  }

  let timer: number | undefined;
  const debounced = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void search(), 250);
  };

  const form = h(
    "form",
    {
      class: "search-bar",
      testid: "circle-search-form",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          window.clearTimeout(timer);
          void search();
        },
        input: debounced,
      },
    },
    q,
    category,
    tag,
    h("button", { testid: "circle-search-submit", attrs: { type: "submit" } }, "Search"),
  );

  const el = h(
    "section",
    { class: "explore-circles", testid: "explore-circles" },
    h(
      "header",
      { class: "section-header" },
      h("h2", {}, "Circles"),
      h("a", { class: "button primary", testid: "explore-new-circle", attrs: { href: "#/new" } }, "New circle"),
    ),
    form,
    status,
    list,
  );
  void search();
  return { el, dispose: () => window.clearTimeout(timer) };
}

function circleItem(circle: Circle): HTMLElement {
  const error = h("span", { class: "error", testid: "circle-error" });
  const member = circle.my_role !== null && circle.my_role !== undefined;
  const action = h(
    "button",
    {
      class: member ? "" : "primary",
      testid: member ? "circle-open" : "circle-join",
      on: {
        click: async () => {
          action.disabled = true;
          error.textContent = "";
          try {
            if (member) await openCircle(circle);
            else await joinAndOpen(circle.id);
          } catch (err) {
            error.textContent = describeError(err);
            action.disabled = false;
          }
        },
      },
    },
    member ? "Open" : "Join",
  );
  return h(
    "li",
    { class: "circle-item", testid: "circle-item", dataset: { circleId: circle.id } },
    h(
      "div",
      { class: "circle-main" },
      h(
        "div",
        { class: "circle-title" },
        userText(circle.name, "circle-name", "circle-name"),
        h("span", { class: `pill ${circle.visibility}` }, circle.visibility),
      ),
      circle.description ? h("p", { class: "circle-description" }, userText(circle.description, "circle-description")) : null,
      h(
        "div",
        { class: "circle-meta" },
        h("span", { class: "pill category", testid: "circle-category" }, circle.category),
        ...circle.tags.map((t) => h("span", { class: "pill tag", testid: "circle-tag" }, `#${t}`)),
        h("span", { class: "muted", testid: "circle-member-count" }, plural(circle.member_count, "member")),
      ),
    ),
    h("div", { class: "circle-actions" }, action, error),
  );
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
