// Collapses the messages of users the viewer blocked, in a circle's message list: the row keeps
// its place (and its id, sender and seq for the rest of the page) and shows "Message from a
// blocked user — show" instead of its content; "show" opens that one message. Rows are found
// by their `data-sender-id` (views/messageItem.ts), so the message rendering needs no change;
// a row redrawn by the list (an edit, a reaction) is collapsed again unless it was opened.

import { h } from "../dom";
import { store } from "../store";
import { blocked } from "./blocks";

const ROW = 'li[data-testid="message"][data-sender-id]';

export function collapseBlocked(listEl: HTMLElement): () => void {
  const opened = new Set<string>();

  function apply(row: HTMLElement): void {
    const sender = row.dataset.senderId ?? "";
    const id = row.dataset.messageId ?? "";
    const hide = sender !== "" && sender !== store.me?.id && blocked.has(sender) && !opened.has(id);
    const notice = row.querySelector<HTMLElement>(":scope > .blocked-notice");
    if (!hide) {
      if (notice) notice.remove();
      if (row.classList.contains("blocked-collapsed")) row.classList.remove("blocked-collapsed");
      return;
    }
    if (notice) return;
    row.classList.add("blocked-collapsed");
    row.dataset.blocked = "true";
    row.prepend(
      h(
        "div",
        { class: "blocked-notice muted", testid: "blocked-notice" },
        "Message from a blocked user — ",
        h(
          "button",
          {
            class: "link",
            testid: "blocked-show",
            attrs: { type: "button" },
            on: {
              click: () => {
                opened.add(id);
                delete row.dataset.blocked;
                apply(row);
              },
            },
          },
          "show",
        ),
      ),
    );
  }

  function scan(): void {
    for (const row of listEl.querySelectorAll<HTMLElement>(ROW)) apply(row);
  }

  const observer = new MutationObserver(scan);
  observer.observe(listEl, { childList: true, subtree: true });
  const unsub = blocked.subscribe(scan);
  blocked.load().catch((err) => console.warn("blocked users failed to load", err));
  scan();
  return () => {
    observer.disconnect();
    unsub();
  };
}
