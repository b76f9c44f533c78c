// What the sidebar shows of a conversation: when it was last active (its sort key), a preview
// of the latest message and the count of unread mentions. The server's `conversations` answer
// carries `last_message`, `last_activity_at` and `mentions`; live messages move them forward
// here so the list re-sorts at once.

import { asChatConv, asChat, type LastMessage } from "./chatTypes";
import type { ConvState } from "./store";
import type { Message, User } from "./types";

/** A live or fetched message newer than the conversation's preview becomes the preview. */
export function noteLastMessage(state: ConvState, msg: Message): void {
  const conv = asChatConv(state.conv);
  const last = conv.last_message;
  if (last?.id === msg.id) {
    conv.last_message = preview(msg); // an edit or delete of the preview itself
    return;
  }
  if (last && last.seq > msg.seq) return;
  conv.last_message = preview(msg);
  if (!conv.last_activity_at || conv.last_activity_at < msg.created_at) conv.last_activity_at = msg.created_at;
}

function preview(msg: Message): LastMessage {
  const attachments = asChat(msg).attachments?.length ?? 0;
  return {
    id: msg.id,
    seq: msg.seq,
    sender_id: msg.sender_id,
    sender_name: msg.sender_name,
    kind: msg.kind,
    text: msg.deleted ? "" : msg.text,
    attachments,
    deleted: msg.deleted,
    created_at: msg.created_at,
  };
}

/** The sort key: the server's `last_activity_at`, else the newest message held, else "". */
export function lastActivity(state: ConvState): string {
  const conv = asChatConv(state.conv);
  let at = conv.last_activity_at ?? conv.last_message?.created_at ?? "";
  for (const m of state.messages.values()) if (m.created_at > at) at = m.created_at;
  return at;
}

/** "Alice: see you at 8", "You: 📎 photo", "message deleted"; "" when nothing is known. */
export function previewLine(state: ConvState, meId: string | undefined): string {
  const last = asChatConv(state.conv).last_message;
  if (!last) return "";
  let body = last.deleted ? "message deleted" : (last.text.split("\n", 1)[0] ?? "");
  const files = last.attachments;
  if (!body && files) body = files === 1 ? "📎 attachment" : `📎 ${files} attachments`;
  if (last.kind === "system" || last.kind === "card" || !last.sender_name) return body;
  const who = last.sender_id === meId ? "You" : last.sender_name;
  return state.conv.kind === "dm" && who !== "You" ? body : `${who}: ${body}`;
}

export function mentionCount(state: ConvState): number {
  return asChatConv(state.conv).mentions ?? 0;
}

/** Whether a message mentions the viewer: by id in `mentions`, or `mention_everyone`. */
export function mentionsViewer(msg: Message, me: User | null): boolean {
  const m = asChat(msg);
  if (!me || msg.sender_id === me.id) return false;
  return m.mention_everyone === true || (m.mentions ?? []).includes(me.id);
}

export function bumpMentions(state: ConvState): void {
  const conv = asChatConv(state.conv);
  conv.mentions = (conv.mentions ?? 0) + 1;
}

export function clearMentions(state: ConvState): void {
  asChatConv(state.conv).mentions = 0;
}
