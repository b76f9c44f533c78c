// The members page (#/circle/<id>/people?stage=&segment=&tag=): each member's lifecycle stage,
// RFM score, money paid in the circle's main currency, segments and tags as a sortable table
// with CSV, filtered by stage, segment and tag (kept in the hash, so "say hello?" on the report
// links here), rows selectable to act on (consolePeopleActions.ts), and the past sends with
// what came of them. Owners and admins only: the server decides, anyone else sees its refusal.

import { ApiError, api, describeError } from "../api";
import { NO_FILTER, OUTREACH_COLUMNS, SEGMENTS, STAGES, hasFilter, listTitle, memberColumns, selectedShown, tagSlug, type PeopleFilter } from "../console/people";
import { peopleApi } from "../console/peopleApi";
import type { MemberStanding, MembersLifecycle } from "../console/wire";
import { h, replaceChildren, userText } from "../dom";
import { store } from "../store";
import { circlePageHash, circlePeopleHash, circleReportHash, navigate } from "../router";
import { peopleActions } from "./consolePeopleActions";
import { selectableTable, type Grid } from "./consolePeopleTable";
import type { View } from "./view";

function choice(testid: string, label: string, values: readonly string[], current: string | null): HTMLSelectElement {
  return h(
    "select",
    { testid, attrs: { "aria-label": label } },
    h("option", { attrs: { value: "" } }, `Any ${label.toLowerCase()}`),
    ...values.map((v) => h("option", { attrs: { value: v, selected: v === current } }, v)),
  );
}

function filterForm(circleId: string, filter: PeopleFilter): HTMLElement {
  // A value the page does not know (a newer server's stage) is kept as an option, not lost.
  const stages = filter.stage && !STAGES.includes(filter.stage as never) ? [...STAGES, filter.stage] : STAGES;
  const segments = filter.segment && !SEGMENTS.includes(filter.segment as never) ? [...SEGMENTS, filter.segment] : SEGMENTS;
  const stage = choice("people-stage", "Stage", stages, filter.stage);
  const segment = choice("people-segment", "Segment", segments, filter.segment);
  const tag = h("input", { testid: "people-filter-tag", attrs: { type: "text", value: filter.tag ?? "", placeholder: "tag", "aria-label": "Tag", maxlength: 32 } });
  return h(
    "form",
    {
      class: "console-range",
      testid: "people-filters",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const t = tag.value.trim() ? (tagSlug(tag.value) ?? tag.value.trim()) : null;
          navigate(circlePeopleHash(circleId, { stage: stage.value || null, segment: segment.value || null, tag: t }));
        },
      },
    },
    stage,
    segment,
    tag,
    h("button", { testid: "people-apply", attrs: { type: "submit" } }, "Filter"),
    hasFilter(filter) ? h("a", { testid: "people-clear", attrs: { href: circlePeopleHash(circleId, NO_FILTER) } }, "Clear") : null,
  );
}

export function consolePeopleView(circleId: string, filter: PeopleFilter): View {
  const title = h("h1", {}, "Members");
  const error = h("p", { class: "error", testid: "console-error", attrs: { role: "alert" } });
  const list = h("div", { testid: "people-list" });
  const outreachBox = h("div", { testid: "people-outreach-box" });
  const el = h(
    "section",
    { class: "pane console", testid: "console-people", dataset: { circleId, segment: filter.segment ?? "", stage: filter.stage ?? "", tag: filter.tag ?? "" } },
    h(
      "div",
      { class: "crumbs" },
      h("a", { testid: "console-back", attrs: { href: circlePageHash(circleId) } }, "← Circle"),
      " · ",
      h("a", { testid: "people-report", attrs: { href: circleReportHash(circleId) } }, "Circle report"),
    ),
    h("header", { class: "pane-header" }, title, h("button", { testid: "console-refresh", attrs: { type: "button" }, on: { click: () => refresh() } }, "Refresh")),
    filterForm(circleId, filter),
    error,
    list,
    outreachBox,
  );
  let members: MemberStanding[] = [];
  let selected = new Set<string>();
  let grid: Grid | null = null;
  const actions = peopleActions({
    circleId,
    filter,
    shown: () => members,
    selected: () => selectedShown(selected, members.map((m) => m.user_id)),
    onSent: () => {
      selected = new Set();
      grid?.refresh();
      actions.update();
      void loadOutreach();
    },
    onTagged: () => void load(),
  });

  function drawList(data: MembersLifecycle): void {
    members = data.members;
    const ids = new Set(members.map((m) => m.user_id));
    selected = new Set([...selected].filter((id) => ids.has(id)));
    grid = selectableTable({
      testid: "people-table",
      title: `${listTitle(members.length, data.total, hasFilter(filter))} (as of ${data.day}, UTC)`,
      columns: memberColumns(data.main_currency),
      rows: members,
      file: ["members", circleId, filter.stage ?? "", filter.segment ?? "", filter.tag ?? ""],
      empty: hasFilter(filter) ? "Nobody matches this filter." : "No members.",
      userColumns: ["name"],
      select: {
        id: (m) => m.user_id,
        selected: () => selected,
        disabled: (m) => m.user_id === store.me?.id,
        onSelect: (next) => {
          selected = next;
          grid?.refresh();
          actions.update();
        },
      },
    });
    replaceChildren(list, grid.el, actions.el);
    actions.update();
  }

  async function load(): Promise<void> {
    el.dataset.state = "loading";
    try {
      const data = await peopleApi.lifecycle(circleId, filter);
      error.textContent = "";
      drawList(data);
      el.dataset.state = "ready";
      el.dataset.count = String(data.members.length);
      delete el.dataset.code;
    } catch (err) {
      replaceChildren(list);
      replaceChildren(outreachBox);
      error.textContent = describeError(err);
      el.dataset.state = "refused";
      el.dataset.code = err instanceof ApiError ? err.code : "unavailable";
    }
  }

  async function loadOutreach(): Promise<void> {
    try {
      const { outreach } = await peopleApi.outreach(circleId);
      replaceChildren(
        outreachBox,
        selectableTable({
          testid: "people-outreach",
          title: "Outreach: past sends",
          columns: OUTREACH_COLUMNS,
          rows: outreach,
          file: ["outreach", circleId],
          empty: "Nothing sent yet.",
          userColumns: ["text", "sent_by"],
        }).el,
      );
    } catch (err) {
      // The list's refusal says it already; anything else is said here.
      replaceChildren(outreachBox, el.dataset.state === "refused" ? null : h("p", { class: "error" }, describeError(err)));
    }
  }

  /** The list, then the sends with their counts as they are now (reads and sign-ups go on). */
  async function refresh(): Promise<void> {
    await load();
    if (el.dataset.state === "ready") await loadOutreach();
  }

  api
    .getCircle(circleId)
    .then(({ circle }) => replaceChildren(title, "Members: ", userText(circle.name, "console-title")))
    .catch(() => undefined);
  void refresh();
  return { el };
}
