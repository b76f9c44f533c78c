// The issue-11 chat fields (replies, reactions, mentions, pins, attachments, conversation
// previews) as the server sends them (generated into wire.gen.ts). types.ts's `Message` and
// `Conversation` are still the older field sets; here the new fields are added as optional, so
// local copies (an optimistic send) and older answers read as "none".

import type { Conversation, Message } from "./types";
import type { components } from "./wire.gen";

type Schemas = components["schemas"];

export type ReplyQuote = Schemas["ReplyOut"];
export type Reaction = Schemas["ReactionOut"];
export type Attachment = Schemas["AttachmentOut"];
export type LastMessage = Schemas["LastMessageOut"];
/** What `POST /api/uploads` answers (`{upload}`): an attachment plus where it is served. */
export type StoredUpload = Schemas["UploadOut"];

export type ChatMessage = Message &
  Partial<Pick<Schemas["MessageOut"], "reply" | "mentions" | "mention_everyone" | "reactions" | "pinned" | "attachments">>;

export type ChatConversation = Conversation &
  Partial<Pick<Schemas["ConversationOut"], "mentions" | "last_message" | "last_activity_at">>;

export function asChat(msg: Message): ChatMessage {
  return msg;
}

export function asChatConv(conv: Conversation): ChatConversation {
  return conv;
}

/**
 * Broadcasts carry `me: null` on reactions (one payload for every member): work it out from
 * `user_ids`, and where that list is cut short, from the copy already held.
 */
export function resolveReactionsMe(msg: Message, held: Message | undefined, meId: string | undefined): Message {
  const reactions = asChat(msg).reactions;
  if (!reactions?.some((r) => r.me === null)) return msg;
  const before = new Map((asChat(held ?? msg).reactions ?? []).map((r) => [r.emoji, r.me === true]));
  const fixed = reactions.map((r) => {
    if (typeof r.me === "boolean") return r;
    const ids = r.user_ids;
    const me = meId !== undefined && ids.includes(meId) ? true : ids.length >= r.count ? false : (before.get(r.emoji) ?? false);
    return { ...r, me };
  });
  const out: ChatMessage = { ...msg, reactions: fixed };
  return out;
}
