// Reactions on a message: a chip per emoji with its count ("me" highlighted; a click toggles the
// viewer's own reaction) and a small picker of common emoji to add one.

import { h } from "../dom";
import type { Reaction } from "../chatTypes";

export const PICKER_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

export function reactionChips(
  reactions: Reaction[],
  toggle: (emoji: string, mine: boolean) => void,
): HTMLElement | null {
  const shown = reactions.filter((r) => r.count > 0);
  if (shown.length === 0) return null;
  return h(
    "div",
    { class: "reactions", testid: "reactions" },
    ...shown.map((r) => reactionChip(r, r.me === true, toggle)),
  );
}

function reactionChip(r: Reaction, me: boolean, toggle: (emoji: string, mine: boolean) => void): HTMLElement {
  return h(
        "button",
        {
          class: `reaction-chip${me ? " me" : ""}`,
          testid: "reaction-chip",
          dataset: { emoji: r.emoji, count: r.count, me: String(me) },
          attrs: {
            type: "button",
            "aria-pressed": String(me),
            title: me ? "Remove your reaction" : "React with this too",
          },
          on: { click: () => toggle(r.emoji, me) },
        },
        h("span", { class: "emoji" }, r.emoji),
        h("span", { class: "count", testid: "reaction-count" }, r.count),
  );
}

/** A popover of emoji under the message's "React" button; picking one closes it. */
export function reactionPicker(onPick: (emoji: string) => void, onClose: () => void): HTMLElement {
  const picker = h(
    "div",
    { class: "reaction-picker", testid: "reaction-picker", attrs: { role: "menu", "aria-label": "Add a reaction" } },
    ...PICKER_EMOJI.map((emoji) =>
      h(
        "button",
        {
          class: "icon",
          testid: "reaction-option",
          dataset: { emoji },
          attrs: { type: "button", role: "menuitem", "aria-label": `React ${emoji}` },
          on: {
            click: () => {
              onPick(emoji);
              onClose();
            },
          },
        },
        emoji,
      ),
    ),
  );
  picker.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") onClose();
  });
  return picker;
}
