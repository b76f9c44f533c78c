// Reactions, pins and search over the chat connection (issue 11). Every answer that carries a
// message is merged like any other copy (a reaction or a pin is a change with a new `rev`).

import { ApiError } from "./api";
import { chat } from "./chat";
import { getToken } from "./session";
import type { ChatMessage } from "./chatTypes";
import type { Message, WireError } from "./types";

/** Add or remove the viewer's `emoji` on a message; resolves once the server has it. */
export async function setReaction(msg: Message, emoji: string, on: boolean): Promise<void> {
  const data = await chat.request<{ message: Message }>(on ? "reaction:add" : "reaction:remove", {
    message_id: msg.id,
    emoji,
  });
  chat.applyMessage(msg.conversation_id, data.message);
}

/** Pin or unpin (circle owners and admins). */
export async function setPinned(msg: Message, on: boolean): Promise<void> {
  const data = await chat.request<{ message: Message }>(on ? "message:pin" : "message:unpin", { message_id: msg.id });
  chat.applyMessage(msg.conversation_id, data.message);
}

/** The conversation's pinned messages. */
export async function listPins(conversationId: string): Promise<ChatMessage[]> {
  const data = await chat.request<{ messages: ChatMessage[] }>("pins", { conversation_id: conversationId });
  return data.messages;
}

export interface SearchQuery {
  q: string;
  conversation_id?: string;
  sender?: string;
  cursor?: string | null;
}

/** One search result (`GET /api/search`): enough to show it and open it in context. */
export interface SearchHit {
  message_id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  sender_name: string;
  text: string;
  created_at: string;
  edited_at: string | null;
}

export interface SearchPage {
  results: SearchHit[];
  next_cursor: string | null;
}

/** Messages the viewer can see with every word, newest first, a page at a time. */
export async function searchMessages(query: SearchQuery): Promise<SearchPage> {
  const params = new URLSearchParams({ q: query.q });
  if (query.conversation_id) params.set("conversation_id", query.conversation_id);
  if (query.sender) params.set("sender", query.sender);
  if (query.cursor) params.set("cursor", query.cursor);
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp: Response;
  try {
    resp = await fetch(`/api/search?${params.toString()}`, { headers });
  } catch {
    throw new ApiError(0, { code: "unavailable", message: "Cannot reach the server" });
  }
  const body = (await resp.json().catch(() => null)) as (SearchPage & { error?: WireError }) | null;
  if (!resp.ok || !body) {
    throw new ApiError(resp.status, body?.error ?? { code: "unavailable", message: `HTTP ${resp.status}` });
  }
  return { results: body.results, next_cursor: body.next_cursor ?? null };
}
