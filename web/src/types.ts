// Wire types of the Circles protocol, named for the client. They are not written here: they
// are the server's own models, generated from its OpenAPI document into wire.gen.ts
// (`scripts/openapi` regenerates web/openapi.json and wire.gen.ts; tests/test_openapi_snapshot.py
// fails when either is stale). Only what the document cannot say is written by hand below:
// the chat cards, which the server builds as free-form objects (`card: object`), and the ack
// envelope of Socket.IO events.

import type { components } from "./wire.gen";

type Schemas = components["schemas"];

export type User = Schemas["UserOut"];
export type Circle = Schemas["CircleOut"];
export type Member = Schemas["MemberOut"];
export type AuthResult = Schemas["AuthOut"];
export type Visibility = Circle["visibility"];
export type NewCircle = Schemas["CreateCircleIn"];
export type Role = Member["role"];

export type Peer = Schemas["PeerOut"];
export type ConversationKind = Schemas["ConversationOut"]["kind"];
export type MessageKind = Schemas["MessageOut"]["kind"];
export type ReplyQuote = Schemas["ReplyOut"];
export type Reaction = Schemas["ReactionOut"];
export type Attachment = Schemas["AttachmentOut"];
export type LastMessage = Schemas["LastMessageOut"];

/**
 * A conversation as the sidebar and chat read it. The issue-11 fields (`mentions`,
 * `last_message`, `last_activity_at`) are on the full `ConversationOut`; they are left out here
 * while chatTypes.ts still declares them (as optional) on its own `ChatConversation`.
 */
export type Conversation = Pick<
  Schemas["ConversationOut"],
  "id" | "kind" | "title" | "circle_id" | "peer" | "seq" | "rev" | "read_seq" | "unread"
>;

/** A card is rendered from a domain object (an activity, a payment); `type` picks the renderer. */
export interface Card {
  type: string;
  [field: string]: unknown;
}

/**
 * A message, its free-form `card` typed as a `Card`. The issue-11 fields (reply, reactions,
 * mentions, pins, attachments) are on the full `MessageOut`; they are left out here while
 * chatTypes.ts still declares them (as optional) on its own `ChatMessage`.
 */
export type Message = Pick<
  Schemas["MessageOut"],
  | "id"
  | "conversation_id"
  | "seq"
  | "rev"
  | "sender_id"
  | "sender_name"
  | "kind"
  | "text"
  | "client_id"
  | "created_at"
  | "edited_at"
  | "deleted"
> & { card: Card | null };

/** The `error` of an error answer (HTTP body or Socket.IO ack). */
export type WireError = Schemas["Error"]["error"];

/** A Socket.IO ack: `{ok: true, data}` or `{ok: false, error}` (docs/protocol.md). */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

// ---- activities and notifications ------------------------------------------------------------

export type Activity = Schemas["ActivityOut"];
export type ActivityStatus = Activity["status"];
export type Location = Schemas["LocationOut"];
export type Price = Schemas["PriceOut"];
export type Signup = Schemas["SignupOut"];
export type SignupStatus = Signup["status"];
export type Attendee = Schemas["AttendeeOut"];
/** Someone shown by name on an activity (to the circle's members only). */
export type Person = Schemas["PersonOut"];
/** `GET /api/activities/{id}/going`: who hosts, and the first of `going_count` going. */
export type Going = Schemas["GoingOut"];
export type Notification = Schemas["NotificationOut"];
export type Ticket = Schemas["TicketOut"];
export type NewActivity = Schemas["CreateActivityIn"];
/** PATCH fields; `price: null` removes the price. */
export type ActivityPatch = Schemas["PatchActivityIn"];

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

// ---- payments ----------------------------------------------------------------------------------

export type Payment = Schemas["PaymentOut"];
export type PaymentProvider = Payment["provider"];
export type PaymentStatus = Payment["status"];
/** One entry of a payment's append-only ledger. */
export type PaymentEvent = Schemas["EventOut"];
export type PaymentDetail = Schemas["PaymentDetailOut"];
/** Real money; test (sandbox) payments are in `test`, never part of the real totals. */
export type PaymentTotals = Schemas["Totals"];

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
