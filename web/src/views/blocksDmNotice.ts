// In a DM with someone the viewer blocked: the sentence the server's `you_blocked` refusal
// would give, said before sending, with Unblock. (The other side's sends are refused `blocked`:
// their failed message says so in the server's words.)

import { describeError } from "../api";
import { h, replaceChildren } from "../dom";
import type { Conversation } from "../types";
import { blocked, blockRefusalText, setBlocked } from "./blocks";
import type { View } from "./view";

export function dmBlockNotice(conv: Conversation): View | null {
  const peer = conv.peer;
  if (conv.kind !== "dm" || !peer) return null;
  const peerId = peer.id;
  const peerName = peer.display_name;
  const el = h("div", { class: "dm-blocked-notice muted", testid: "dm-blocked-notice", attrs: { role: "status" } });

  function draw(): void {
    el.hidden = !blocked.has(peerId);
    if (el.hidden) return;
    const sentence = blockRefusalText({ code: "forbidden", details: { reason: "you_blocked" } }, peerName) ?? "";
    const unblock = h(
      "button",
      {
        class: "link",
        testid: "dm-unblock",
        attrs: { type: "button" },
        on: {
          click: async () => {
            try {
              await setBlocked(peerId, false);
            } catch (err) {
              el.textContent = describeError(err);
            }
          },
        },
      },
      "Unblock",
    );
    replaceChildren(el, sentence, " ", unblock);
  }

  const unsub = blocked.subscribe(draw);
  blocked.load().catch((err) => console.warn("blocked users failed to load", err));
  draw();
  return { el, dispose: unsub };
}
