// Circle actions shared by several views: join (public or by invite), then open its chat.

import { api, ApiError } from "./api";
import { chat } from "./chat";
import { circlePageHash, conversationHash, navigate } from "./router";
import type { Circle } from "./types";

/** Join a circle and open its conversation once the conversation list knows it. */
export async function joinAndOpen(circleId: string, invite?: string): Promise<Circle> {
  try {
    await api.joinCircle(circleId, invite);
  } catch (err) {
    // A circle that approves its members: its page asks the questions (joinRequestsAsk.ts).
    if (err instanceof ApiError && err.details?.reason === "approval_required") navigate(circlePageHash(circleId));
    throw err;
  }
  const { circle } = await api.getCircle(circleId);
  await openCircle(circle);
  return circle;
}

/**
 * Open a circle's chat. The membership is already stored, so a failed refresh of the
 * conversation list is not fatal: the chat view waits for the conversation to show up.
 */
export async function openCircle(circle: Circle): Promise<void> {
  try {
    await chat.refreshConversations();
  } catch (err) {
    console.warn("conversation list refresh failed", err);
  }
  navigate(conversationHash(circle.conversation_id));
}

/** "sports, Board Games" -> ["sports", "board-games"]: tags are slugs on the wire. */
export function parseTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => slug(t))
    .filter(Boolean);
}

export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32);
}
