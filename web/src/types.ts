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

// ---- activities and notifications (PROTOCOL.md sections 3 and 5; docs/protocol.md) ---------

export type ActivityStatus = "open" | "full" | "closed" | "cancelled";
export type SignupStatus =
  | "confirmed"
  | "waitlisted"
  | "offered"
  | "pending_payment"
  | "cancelled"
  | "attended";

export interface Location {
  name: string;
  address?: string | null;
  lat?: number | null;
  lng?: number | null;
}

export interface Price {
  amount: number;
  currency: string;
}

export interface Activity {
  id: string;
  circle_id: string;
  organiser_id: string;
  title: string;
  description: string;
  category: string;
  tags: string[];
  starts_at: string;
  ends_at: string;
  location: Location;
  capacity: number;
  price: Price | null;
  signup_deadline: string;
  offer_window_minutes?: number;
  refund_cutoff_hours?: number;
  status: ActivityStatus;
  confirmed_count: number;
  held_count: number;
  waitlist_count: number;
  card_message_id: string | null;
  calendar_url: string;
  version: number;
  cancel_reason?: string | null;
  created_at: string;
  updated_at?: string;
}

/** The `card` of an activity's chat message: the activity's live counts. */
export interface ActivityCard {
  type: "activity";
  activity_id: string;
  title: string;
  starts_at: string;
  ends_at: string;
  location: Location;
  capacity: number;
  confirmed_count: number;
  held_count: number;
  waitlist_count: number;
  price: Price | null;
  status: ActivityStatus;
  version: number;
}

export interface Signup {
  activity_id: string;
  user_id: string;
  status: SignupStatus;
  waitlist_position?: number | null;
  offer_expires_at?: string | null;
  hold_expires_at?: string | null;
  payment_id?: string | null;
  reconfirm_pending?: boolean;
  reconfirmed_at?: string | null;
  checked_in_at?: string | null;
  created_at: string;
  updated_at: string;
}

export interface Attendee extends Signup {
  display_name: string;
  handle: string;
}

/** Someone shown by name on an activity (to the circle's members only). */
export interface Person {
  id: string;
  display_name: string;
  handle: string;
  avatar_url?: string | null;
}

/** `GET /api/activities/{id}/going`: who hosts, and the first of `going_count` going. */
export interface Going {
  organiser: Person | null;
  going: Person[];
  going_count: number;
}

export interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
  created_at: string;
}

export interface Ticket {
  code: string;
  expires_at: string;
}

// ---- payments (PROTOCOL.md section 4; docs/protocol.md "Payments") --------------------------

export type PaymentProvider = "sandbox" | "manual";
export type PaymentStatus = "pending" | "paid" | "refund_pending" | "refunded" | "failed" | "expired";

export interface Payment {
  id: string;
  activity_id: string;
  user_id: string;
  amount: number;
  currency: string;
  provider: PaymentProvider;
  /** A test payment (the sandbox provider): no money moved. */
  test?: boolean;
  status: PaymentStatus;
  checkout_url?: string | null;
  reference?: string | null;
  note?: string | null;
  failure_reason?: string | null;
  created_at: string;
  updated_at: string;
}

/** One entry of a payment's append-only ledger. */
export interface PaymentEvent {
  version: number;
  status: string;
  reason: string;
  at: string;
  data: Record<string, unknown>;
}

export interface PaymentDetail {
  payment: Payment;
  events: PaymentEvent[];
}

export interface PaymentTotals {
  currency: string | null;
  gross: number;
  refunded: number;
  net: number;
  /** Test (sandbox) payments, never part of the real totals above. */
  test?: { gross: number; refunded: number; net: number };
}

/** The `card` of a payment message in the DM between payer and organiser. */
export interface PaymentCard {
  type: "payment";
  payment_id: string;
  activity_id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  activity_title?: string;
  test?: boolean;
}
