// "Report" on others' messages in a circle's chat: added to each message's action bar (the
// row's `.message-actions`, views/messageItem.ts) by watching the list, so the message
// rendering needs no change; a row the list redraws gets its button again.

import { h } from "../dom";
import { store } from "../store";
import { openReportDialog } from "./reportsDialog";

const ROW = 'li[data-testid="message"][data-message-id]';

export function reportButtons(listEl: HTMLElement, circleId: string): () => void {
  function scan(): void {
    for (const row of listEl.querySelectorAll<HTMLElement>(ROW)) {
      if (row.dataset.kind === "system" || row.dataset.state !== "sent") continue;
      if (row.dataset.senderId === store.me?.id) continue;
      const bar = row.querySelector<HTMLElement>(".message-actions");
      if (!bar || bar.querySelector('[data-testid="message-report"]')) continue;
      const messageId = row.dataset.messageId ?? "";
      bar.append(
        h(
          "button",
          {
            class: "link",
            testid: "message-report",
            attrs: { type: "button" },
            on: {
              click: async () => {
                const sender = row.querySelector('[data-testid="message-sender"]')?.textContent ?? "";
                const text = row.querySelector('[data-testid="message-text"]')?.textContent ?? "";
                const what = `${sender}: ${text.length > 140 ? `${text.slice(0, 140)}…` : text}`;
                await openReportDialog(circleId, "message", messageId, what);
              },
            },
          },
          "Report",
        ),
      );
    }
  }

  const observer = new MutationObserver(scan);
  observer.observe(listEl, { childList: true, subtree: true });
  scan();
  return () => observer.disconnect();
}

/** "Report" on others' posts in a circle's posts view (views/posts.ts), added to each post's
 * footer. Installed once: the posts view is not this module's, so it watches the document and
 * looks only for posts not decorated yet (coalesced to one look per frame). */
export function installPostReports(): void {
  let scheduled = false;
  const scan = () => {
    scheduled = false;
    const posts = document.querySelectorAll<HTMLElement>('[data-testid="circle-posts"][data-circle-id] [data-testid="post"]:not([data-reportable])');
    for (const post of posts) {
      post.dataset.reportable = "true";
      const circleId = post.closest<HTMLElement>('[data-testid="circle-posts"]')?.dataset.circleId ?? "";
      const href = post.querySelector('[data-testid="post-author"]')?.getAttribute("href") ?? "";
      const authorId = decodeURIComponent(href.replace(/^#\/user\//, ""));
      const footer = post.querySelector(".post-actions");
      if (!circleId || !footer || authorId === store.me?.id) continue;
      const postId = post.dataset.postId ?? "";
      footer.append(
        h(
          "button",
          {
            class: "link",
            testid: "post-report",
            attrs: { type: "button" },
            on: {
              click: async () => {
                const text = post.querySelector('[data-testid="post-text"]')?.textContent ?? "";
                await openReportDialog(circleId, "post", postId, text.length > 140 ? `${text.slice(0, 140)}…` : text);
              },
            },
          },
          "Report",
        ),
      );
    }
  };
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(scan);
  }).observe(document.body, { childList: true, subtree: true });
}
