// The pinned messages of a conversation (`pins`), newest pin first. A pin opens the message in
// context; owners and admins can unpin from here. The list reloads when a message of the
// conversation changes (a pin or unpin is a change of the message, so it arrives live).

import { describeError } from "../api";
import { listPins, setPinned } from "../chatSocial";
import type { ChatMessage } from "../chatTypes";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { store, type ConvState } from "../store";
import { firstLine } from "./chatText";
import type { View } from "./view";

export interface PinsHooks {
  jump: (messageId: string, seq: number) => void;
  canUnpin: () => boolean;
}

export function pinsPanel(state: ConvState, hooks: PinsHooks): View {
  const status = h("p", { class: "muted", testid: "pins-status", attrs: { role: "status" } });
  const list = h("ol", { class: "pins-list", testid: "pins-list" });
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    try {
      const pins = await listPins(state.conv.id);
      if (mine !== generation) return;
      replaceChildren(list, ...pins.map(item));
      status.textContent = pins.length === 0 ? "Nothing is pinned yet." : "";
    } catch (err) {
      if (mine === generation) status.textContent = describeError(err);
    }
  }

  function item(msg: ChatMessage): HTMLElement {
    const unpin = hooks.canUnpin()
      ? h(
          "button",
          {
            class: "link",
            testid: "pin-unpin",
            attrs: { type: "button" },
            on: {
              click: async () => {
                try {
                  await setPinned(msg, false);
                  await load();
                } catch (err) {
                  status.textContent = describeError(err);
                }
              },
            },
          },
          "Unpin",
        )
      : null;
    return h(
      "li",
      { class: "pin-item", testid: "pin-item", dataset: { messageId: msg.id } },
      h(
        "button",
        { class: "pin-open", testid: "pin-open", attrs: { type: "button" }, on: { click: () => hooks.jump(msg.id, msg.seq) } },
        h("span", { class: "search-meta" }, userText(msg.sender_name, "pin-sender", "sender"), h("time", { class: "muted" }, formatTime(msg.created_at))),
        userText(msg.deleted ? "message deleted" : firstLine(msg.text || "📎 attachment", 160), "pin-text", "search-text"),
      ),
      unpin,
    );
  }

  /** Reload only when the set of pinned messages held changed (not on every message). */
  function onMessages(): void {
    const held = [...state.messages.values()].filter((m) => (m as ChatMessage).pinned && !m.deleted).map((m) => m.id);
    const key = held.sort().join(",");
    if (key !== heldKey) {
      heldKey = key;
      void load();
    }
  }
  let heldKey = [...state.messages.values()].filter((m) => (m as ChatMessage).pinned && !m.deleted).map((m) => m.id).sort().join(",");

  const unsub = store.subscribe(`messages:${state.conv.id}`, onMessages);
  void load();
  const el = h("section", { class: "pins-panel", testid: "pins-panel" }, h("h2", {}, "Pinned messages"), status, list);
  return {
    el,
    dispose: () => {
      generation += 1;
      unsub();
    },
  };
}
