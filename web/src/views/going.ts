// Who hosts and who is going (`GET /api/activities/{id}/going`), shown on the activity card and
// page. The server answers only the circle's members (names never leave the circle; there is no
// per-user privacy setting), so anyone else simply sees nothing here. The list is fetched again
// when the activity's version moves (a sign-up, a cancellation) or after a reconnect.

import { api, ApiError } from "../api";
import { h, initials, replaceChildren, userText } from "../dom";
import { store } from "../store";
import type { Going, Person } from "../types";

interface Entry {
  data: Going | null;
  /** The version (and connect count) the data was asked for; null: never asked. */
  key: string | null;
  inFlight: boolean;
  /** Not a member (or not visible): stop asking until something changes. */
  refused: boolean;
}

const entries = new Map<string, Entry>();

/** What is known of who is going for `id`; asks the server when `version` moved past it. */
export function goingOf(id: string, version: number): Going | null {
  let e = entries.get(id);
  if (!e) entries.set(id, (e = { data: null, key: null, inFlight: false, refused: false }));
  const key = `${version}|${store.connects}|${store.me?.id ?? ""}`;
  if (e.key !== key && !e.inFlight) void load(id, e, key);
  return e.data;
}

async function load(id: string, e: Entry, key: string): Promise<void> {
  e.inFlight = true;
  e.key = key;
  try {
    e.data = await api.going(id);
    e.refused = false;
  } catch (err) {
    // forbidden / not_found: not for this viewer; anything else: keep what was shown.
    if (err instanceof ApiError && (err.code === "forbidden" || err.code === "not_found")) {
      e.data = null;
      e.refused = true;
    }
  } finally {
    e.inFlight = false;
  }
  store.notify(`activity:${id}`);
}

export function forgetGoing(): void {
  entries.clear();
}

function avatar(p: Person): HTMLElement {
  return h("span", { class: "avatar small", attrs: { "aria-hidden": "true", title: p.display_name } }, initials(p.display_name));
}

/** "Hosted by <name>": from the list when loaded, else from what the caller knows. */
export function organiserNode(going: Going | null, fallbackName: string | null): HTMLElement | null {
  const name = going?.organiser?.display_name ?? fallbackName;
  if (!name) return null;
  return h("span", { class: "activity-host", testid: "activity-organiser" }, "Hosted by ", userText(name, "activity-organiser-name"));
}

/**
 * Avatars and names of who is going. `compact` (the card): a row of avatars and the first few
 * names; otherwise (the page) every name fetched, with "and N more" past them.
 */
export function goingNode(going: Going | null, compact: boolean): HTMLElement | null {
  if (!going) return null;
  const el = h("div", { class: `activity-going${compact ? " compact" : ""}`, testid: "activity-going", dataset: { count: going.going_count } });
  if (going.going_count === 0) {
    el.append(h("span", { class: "muted" }, "Nobody is going yet."));
    return el;
  }
  const shown = compact ? going.going.slice(0, 5) : going.going;
  const list = h(
    "ul",
    { class: "going-list" },
    ...shown.map((p) =>
      h("li", { class: "going-person", testid: "going-person", dataset: { userId: p.id } }, avatar(p), compact ? null : userText(p.display_name, "going-name")),
    ),
  );
  const more = going.going_count - shown.length;
  const names = compact
    ? h(
        "span",
        { class: "going-names" },
        ...shown.slice(0, 2).flatMap((p, i) => [i ? ", " : "", userText(p.display_name, "going-name")]),
        going.going_count > 2 ? ` and ${going.going_count - 2} more` : "",
        " going",
      )
    : more > 0
      ? h("span", { class: "muted" }, `and ${more} more`)
      : null;
  replaceChildren(el, list, names);
  return el;
}
