// The door list of the check-in page: everyone with a seat, found by name, each with "Check in"
// (for a dead phone: `POST …/checkin/user`) or "Undo" (`POST …/checkin/undo`). It reloads when
// the activity's version moves, so two people at the door see each other's check-ins.

import { activityError } from "../activities";
import { api } from "../api";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { store } from "../store";
import type { Attendee } from "../types";

export interface DoorList {
  el: HTMLElement;
  /** The person a sign-up belongs to, from the last load. */
  person(userId: string): Attendee | undefined;
  reload(): Promise<void>;
  follow(version: number): void;
}

/** `onDone(signup owner, undo)` is called after a check-in (or its undo) by name succeeded. */
export function doorList(id: string, onDone: (who: Attendee, undo: boolean) => void, onError: (err: unknown) => void): DoorList {
  const search = h("input", {
    class: "door-search",
    testid: "checkin-search",
    attrs: { type: "search", placeholder: "Find by name", "aria-label": "Find by name", autocomplete: "off" },
    on: { input: () => render() },
  });
  const summary = h("p", { class: "muted", testid: "attendee-summary" });
  const list = h("ul", { class: "attendee-list door-list", testid: "door-list" });
  const el = h("section", { class: "form-card door" }, h("h2", {}, "Check in by name"), search, summary, list);
  let people: Attendee[] = [];
  let loaded = -1;
  let wanted = -1;
  let running = false;
  const busy = new Set<string>();

  async function reload(): Promise<void> {
    if (running) return;
    running = true;
    const target = wanted;
    try {
      const { signups } = await api.attendees(id);
      people = signups.filter((s) => s.status === "confirmed" || s.status === "attended");
      people.sort((a, b) => a.display_name.localeCompare(b.display_name));
      for (const p of people) store.names.set(p.user_id, p.display_name);
      render();
    } catch (err) {
      summary.textContent = activityError(err);
    } finally {
      loaded = target;
      running = false;
    }
    if (wanted > loaded) void reload();
  }

  async function act(who: Attendee, undo: boolean): Promise<void> {
    if (busy.has(who.user_id)) return;
    busy.add(who.user_id);
    render();
    try {
      await (undo ? api.undoCheckin(id, who.user_id) : api.checkinUser(id, who.user_id));
      onDone(who, undo);
    } catch (err) {
      onError(err);
    } finally {
      busy.delete(who.user_id);
    }
    await reload();
  }

  function render(): void {
    const q = search.value.trim().toLowerCase();
    const shown = q
      ? people.filter((p) => p.display_name.toLowerCase().includes(q) || p.handle.toLowerCase().includes(q))
      : people;
    const inside = people.filter((p) => p.status === "attended").length;
    summary.textContent = `${inside} of ${people.length} checked in`;
    list.dataset.count = String(shown.length);
    replaceChildren(list, ...shown.map(row));
    if (!shown.length) list.append(h("li", { class: "muted" }, q ? "Nobody by that name has a seat." : "Nobody has a seat yet."));
  }

  function row(p: Attendee): HTMLElement {
    const inside = p.status === "attended";
    return h(
      "li",
      {
        class: `attendee door-row status-${p.status}`,
        testid: "attendee",
        dataset: { userId: p.user_id, status: p.status, checkedIn: String(inside) },
      },
      h("span", { class: "attendee-names" }, userText(p.display_name, "attendee-name", "attendee-name"), h("span", { class: "muted handle" }, `@${p.handle}`)),
      h("span", { class: `pill signup-${p.status}`, testid: "attendee-status" }, inside ? "checked in" : "not yet"),
      inside && p.checked_in_at ? h("span", { class: "muted", testid: "attendee-checked-in" }, formatTime(p.checked_in_at)) : null,
      h(
        "button",
        {
          class: inside ? "" : "primary",
          testid: inside ? "door-undo" : "door-checkin",
          attrs: { type: "button", disabled: busy.has(p.user_id) },
          on: { click: () => void act(p, inside) },
        },
        inside ? "Undo" : "Check in",
      ),
    );
  }

  return {
    el,
    reload,
    person: (userId) => people.find((p) => p.user_id === userId),
    follow(version: number): void {
      wanted = Math.max(wanted, version);
      if (wanted > loaded) void reload();
    },
  };
}
