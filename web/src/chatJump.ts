// A jump asked for before its conversation is open (a search result in another conversation):
// the chat view takes it once it has mounted that conversation.

let pending: { conversationId: string; messageId: string; seq: number } | null = null;

export function requestJump(conversationId: string, messageId: string, seq: number): void {
  pending = { conversationId, messageId, seq };
}

/** The jump waiting for this conversation, if any (taken: it happens once). */
export function takeJump(conversationId: string): { messageId: string; seq: number } | null {
  if (!pending || pending.conversationId !== conversationId) return null;
  const { messageId, seq } = pending;
  pending = null;
  return { messageId, seq };
}
