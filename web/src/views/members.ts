// The members of a circle (GET /api/circles/{id}/members) with presence dots and a button to
// open a DM with each of them.

import { api, describeError } from "../api";
import { chat } from "../chat";
import { h, replaceChildren, userText } from "../dom";
import { conversationHash, navigate } from "../router";
import { store } from "../store";
import type { Member } from "../types";
import { presenceDot } from "./sidebar";
import type { View } from "./view";

export function membersView(circleId: string): View & { reload(): Promise<void> } {
  const list = h("ul", { class: "member-list", testid: "member-list" });
  const status = h("p", { class: "muted", testid: "members-status" });
  let members: Member[] = [];

  function render(): void {
    const order = (m: Member) => (m.role === "owner" ? 0 : m.role === "admin" ? 1 : 2);
    const sorted = [...members].sort(
      (a, b) => order(a) - order(b) || a.user.display_name.localeCompare(b.user.display_name),
    );
    replaceChildren(list, ...sorted.map(memberItem));
  }

  function memberItem(member: Member): HTMLElement {
    const self = member.user.id === store.me?.id;
    const error = h("span", { class: "error" });
    const dm = self
      ? h("span", { class: "muted" }, "you")
      : h(
          "button",
          {
            class: "link",
            testid: "member-dm",
            attrs: { type: "button", title: "Send a direct message" },
            on: {
              click: async () => {
                try {
                  navigate(conversationHash(await chat.openDm(member.user.id)));
                } catch (err) {
                  error.textContent = describeError(err);
                }
              },
            },
          },
          "Message",
        );
    return h(
      "li",
      { class: "member-item", testid: "member-item", dataset: { userId: member.user.id, role: member.role } },
      presenceDot(member.user.id),
      h(
        "span",
        { class: "member-names" },
        userText(member.user.display_name, "member-name", "member-name"),
        h("span", { class: "muted handle" }, `@${member.user.handle}`),
      ),
      member.role !== "member" ? h("span", { class: "pill", testid: "member-role" }, member.role) : null,
      dm,
      error,
    );
  }

  async function reload(): Promise<void> {
    status.textContent = "Loading…";
    try {
      members = (await api.members(circleId)).members;
      for (const m of members) {
        store.names.set(m.user.id, m.user.display_name);
        const online = m.online;
        if (typeof online === "boolean" && !store.presence.has(m.user.id)) store.presence.set(m.user.id, online);
      }
      status.textContent = "";
      render();
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  const el = h(
    "aside",
    { class: "members-panel", testid: "members-panel" },
    h("h2", {}, "Members"),
    status,
    list,
  );
  const unsub = store.subscribe("presence", render);
  void reload();
  return { el, reload, dispose: unsub };
}
