// Wire types of the Circles protocol (shared/PROTOCOL.md, sections 1-2). The server may send
// extra fields; the client only relies on the ones named here.

export interface User {
  id: string;
  handle: string;
  display_name: string;
  bio?: string | null;
  avatar_url?: string | null;
  created_at: string;
  online?: boolean;
}

export type Visibility = "public" | "private";
export type Role = "owner" | "admin" | "member";

export interface Circle {
  id: string;
  name: string;
  description: string;
  category: string;
  tags: string[];
  visibility: Visibility;
  owner_id: string;
  member_count: number;
  conversation_id: string;
  my_role: Role | null;
  created_at: string;
}

export interface Member {
  user: User;
  role: Role;
  joined_at: string;
  online?: boolean;
}

export type ConversationKind = "circle" | "dm";

export interface Conversation {
  id: string;
  kind: ConversationKind;
  title: string;
  circle_id?: string | null;
  peer?: User | null;
  seq: number;
  rev: number;
  read_seq: number;
  unread: number;
}

export type MessageKind = "text" | "card" | "system";

/** A card is rendered from a domain object (an activity, a payment); `type` picks the renderer. */
export interface Card {
  type: string;
  [field: string]: unknown;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  rev: number;
  sender_id: string;
  sender_name: string;
  kind: MessageKind;
  text: string;
  card?: Card | null;
  client_id?: string | null;
  created_at: string;
  edited_at?: string | null;
  deleted: boolean;
}

export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown> | null;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

export interface AuthResult {
  token: string;
  user: User;
}
