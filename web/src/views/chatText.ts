// Message text with @mentions highlighted (the viewer's own mentions stronger), on top of the
// text-only rendering of dom.ts (links for http(s) only, visible bidi controls).

import { h, linkified } from "../dom";
import { store } from "../store";

/** `@handle` (server handles are `[a-z0-9_]{3,32}`) or `@everyone`, not inside a word/address. */
const MENTION_RE = /(^|[^\w@.])@([a-z0-9_]{3,32})\b/gi;

export function messageText(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  const mine = store.me?.handle.toLowerCase();
  for (const match of text.matchAll(MENTION_RE)) {
    const start = (match.index ?? 0) + match[1].length;
    const handle = match[2].toLowerCase();
    if (start > last) nodes.push(...linkified(text.slice(last, start)));
    const me = handle === mine || handle === "everyone";
    nodes.push(
      h(
        "span",
        { class: `mention${me ? " me" : ""}`, testid: "mention", dataset: { handle, me: String(me) } },
        `@${match[2]}`,
      ),
    );
    last = start + 1 + match[2].length;
  }
  if (last < text.length || nodes.length === 0) nodes.push(...linkified(text.slice(last)));
  return nodes;
}

/** Whether a message's text mentions the viewer (by handle, or @everyone). */
export function mentionsMe(text: string): boolean {
  const mine = store.me?.handle.toLowerCase();
  if (!mine) return false;
  for (const match of text.matchAll(MENTION_RE)) {
    const handle = match[2].toLowerCase();
    if (handle === mine || handle === "everyone") return true;
  }
  return false;
}

/** The first line of a text, shortened for quotes and previews. */
export function firstLine(text: string, max = 120): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
