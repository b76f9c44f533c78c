// The Explore page (#/explore, and #/): the discover sections ("for you" with the reason shown,
// this week, popular, from circles you follow, near you) from GET /api/discover; a search of
// upcoming activities (GET /api/activities) with category chips, a date range, "circles I
// follow" and "near me" (the browser's geolocation, with a radius), paged by cursor; and, below,
// today's circle finder. A refused or missing geolocation only leaves "near me" off.

import { describeError } from "../api";
import {
  chipCategories,
  emptyFilters,
  isSearching,
  mergePage,
  RADII_KM,
  type DiscoveryItem,
  type DiscoverySection,
  type Filters,
  type Position,
} from "../discover";
import { discover, searchActivities } from "../discoverApi";
import { h, replaceChildren } from "../dom";
import { cardList, exploreCard, FollowState } from "./exploreCard";
import { circleFinder } from "./exploreCircles";
import type { View } from "./view";

export { plural } from "./exploreCircles";

/** Sections whose items carry a reason worth showing (the server sets it there only). */
const WITH_REASON = new Set(["for_you", "popular"]);
const EMPTY: Record<string, string> = {
  for_you: "Join or follow circles to get suggestions.",
  this_week: "Nothing this week yet.",
  popular: "Nothing popular yet.",
  following: "Follow circles to see their activities here.",
  near_you: "Turn on “Near me” to see what is nearby.",
};

export function exploreView(): View {
  const filters: Filters = emptyFilters();
  const el = h("section", { class: "pane explore", testid: "explore-view" });
  const follows = new FollowState(el);
  let sections: DiscoverySection[] = [];
  let results: DiscoveryItem[] = [];
  let cursor: string | null = null;
  let searchGen = 0;
  let discoverGen = 0;
  let disposed = false;

  // ---- the search form ----
  const q = h("input", {
    testid: "explore-q",
    attrs: { type: "search", placeholder: "Search activities", "aria-label": "Search activities", maxlength: 200 },
  });
  const fromDay = h("input", { testid: "explore-from", attrs: { type: "date", "aria-label": "From" } });
  const toDay = h("input", { testid: "explore-to", attrs: { type: "date", "aria-label": "To" } });
  const followingBox = h("input", { testid: "explore-following", attrs: { type: "checkbox" } });
  const nearButton = h("button", { class: "near-button", testid: "explore-near", attrs: { type: "button", "aria-pressed": "false" } }, "Near me");
  const radius = h(
    "select",
    { testid: "explore-radius", attrs: { "aria-label": "Radius" } },
    ...RADII_KM.map((km) => h("option", { attrs: { value: km } }, `${km} km`)),
  );
  radius.value = String(filters.radiusKm);
  const chips = h("div", { class: "chips", testid: "explore-chips", attrs: { role: "group", "aria-label": "Category" } });
  const geoStatus = h("p", { class: "muted", testid: "explore-geo-status", attrs: { role: "status" } });
  const status = h("p", { class: "muted", testid: "explore-status", attrs: { role: "status" } });
  const clear = h("button", { class: "link", testid: "explore-clear", attrs: { type: "button" } }, "Clear");

  let timer: number | undefined;
  const form = h(
    "form",
    {
      class: "explore-search",
      testid: "explore-search-form",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          readForm();
          void search();
        },
        input: (ev) => {
          if (ev.target !== q) return;
          window.clearTimeout(timer);
          timer = window.setTimeout(() => {
            readForm();
            void search();
          }, 300);
        },
        change: (ev) => {
          if (ev.target === q) return;
          readForm();
          void search();
          if (ev.target === radius && filters.near) void loadSections();
        },
      },
    },
    h("div", { class: "explore-row" }, q, h("button", { class: "primary", testid: "explore-submit", attrs: { type: "submit" } }, "Search")),
    h(
      "div",
      { class: "explore-row" },
      h("label", {}, "From ", fromDay),
      h("label", {}, "To ", toDay),
      h("label", { class: "check" }, followingBox, " Circles I follow"),
      nearButton,
      radius,
      clear,
    ),
    chips,
  );

  function readForm(): void {
    filters.q = q.value;
    filters.fromDay = fromDay.value;
    filters.toDay = toDay.value;
    filters.following = followingBox.checked;
    filters.radiusKm = Number(radius.value) || filters.radiusKm;
  }

  // ---- category chips ----
  function drawChips(): void {
    const loaded = sections.flatMap((s) => s.items);
    const chip = (category: string, label: string) =>
      h(
        "button",
        {
          class: `chip${filters.category === category ? " selected" : ""}`,
          testid: "explore-chip",
          dataset: { category },
          attrs: { type: "button", "aria-pressed": String(filters.category === category) },
          on: {
            click: () => {
              filters.category = filters.category === category ? "" : category;
              readForm();
              drawChips();
              void search();
            },
          },
        },
        label,
      );
    replaceChildren(chips, chip("", "All"), ...chipCategories(loaded, filters.category).map((c) => chip(c, c)));
  }

  // ---- near me ----
  function drawNear(): void {
    nearButton.setAttribute("aria-pressed", String(Boolean(filters.near)));
    nearButton.classList.toggle("selected", Boolean(filters.near));
    nearButton.textContent = filters.near ? "Near me ✓" : "Near me";
    radius.disabled = !filters.near;
    el.dataset.near = filters.near ? "on" : "off";
  }

  nearButton.addEventListener("click", () => {
    if (filters.near) {
      filters.near = null;
      geoStatus.textContent = "";
      drawNear();
      void search();
      void loadSections();
      return;
    }
    if (!("geolocation" in navigator)) {
      geoStatus.textContent = "This browser cannot tell where you are; search by place or date instead.";
      return;
    }
    geoStatus.textContent = "Finding where you are…";
    nearButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        nearButton.disabled = false;
        if (disposed) return;
        const here: Position = { lat: pos.coords.latitude, lng: pos.coords.longitude };
        filters.near = here;
        geoStatus.textContent = "";
        drawNear();
        readForm();
        void search();
        void loadSections();
      },
      (err) => {
        nearButton.disabled = false;
        if (disposed) return;
        geoStatus.textContent =
          err.code === err.PERMISSION_DENIED
            ? "Location is off for this site, so “Near me” is unavailable. Everything else works."
            : "Your location could not be found just now. Try again later.";
        el.dataset.geo = "unavailable";
      },
      { timeout: 15000, maximumAge: 300000 },
    );
  });

  // Clear drops the search; "near me" stays as it is (a setting, not a search term).
  clear.addEventListener("click", () => {
    Object.assign(filters, { ...emptyFilters(), near: filters.near, radiusKm: filters.radiusKm });
    q.value = fromDay.value = toDay.value = "";
    followingBox.checked = false;
    drawChips();
    void search();
  });

  // ---- results of a search ----
  const resultsList = h("ul", { class: "explore-list", testid: "explore-results-list" });
  const more = h("button", { testid: "explore-more", attrs: { type: "button" } }, "More");
  more.addEventListener("click", () => void search(true));
  const resultsEl = h(
    "section",
    { class: "explore-results", testid: "explore-results" },
    h("h2", {}, "Activities"),
    resultsList,
    more,
  );
  const sectionsEl = h("div", { class: "explore-sections", testid: "explore-sections" });

  async function search(next = false): Promise<void> {
    // A search now replaces the one the typing had scheduled (it would redo page one).
    if (!next) window.clearTimeout(timer);
    const searching = isSearching(filters);
    resultsEl.hidden = !searching;
    sectionsEl.hidden = searching;
    if (!searching) {
      ++searchGen;
      status.textContent = "";
      return;
    }
    const mine = ++searchGen;
    status.textContent = "Searching…";
    more.disabled = true;
    try {
      const page = await searchActivities(filters, next ? cursor : null);
      if (mine !== searchGen) return;
      results = next ? mergePage(results, page.items) : page.items;
      cursor = page.next_cursor;
      replaceChildren(resultsList, ...results.map((i) => exploreCard(i, follows, false)));
      status.textContent = results.length ? "" : "No upcoming activities match.";
      resultsEl.dataset.loaded = "true";
      resultsEl.dataset.count = String(results.length);
      more.hidden = !cursor;
    } catch (err) {
      if (mine === searchGen) status.textContent = describeError(err);
    } finally {
      if (mine === searchGen) more.disabled = false;
    }
  }

  // ---- the discover sections ----
  async function loadSections(): Promise<void> {
    const mine = ++discoverGen;
    try {
      const out = await discover(filters.near, filters.radiusKm);
      if (mine !== discoverGen) return;
      sections = out.sections;
      replaceChildren(sectionsEl, ...sections.map(sectionView));
      sectionsEl.dataset.loaded = "true";
      drawChips();
    } catch (err) {
      if (mine === discoverGen) replaceChildren(sectionsEl, h("p", { class: "error" }, describeError(err)));
    }
  }

  function sectionView(s: DiscoverySection): HTMLElement {
    return h(
      "section",
      { class: "explore-section", testid: "explore-section", dataset: { key: s.key, count: s.items.length } },
      h("h2", { testid: "explore-section-title" }, s.title),
      cardList(s.items, follows, WITH_REASON.has(s.key), EMPTY[s.key] ?? "Nothing here yet.", "explore-section-list"),
    );
  }

  const finder = circleFinder();
  replaceChildren(
    el,
    h("header", { class: "pane-header" }, h("h1", {}, "Explore")),
    form,
    geoStatus,
    status,
    resultsEl,
    sectionsEl,
    finder.el,
  );
  resultsEl.hidden = true;
  drawNear();
  drawChips();
  void loadSections();
  follows.load().catch((err) => console.warn("following", err));
  return {
    el,
    dispose: () => {
      disposed = true;
      window.clearTimeout(timer);
      finder.dispose?.();
    },
  };
}
