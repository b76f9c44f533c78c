// HTTP API client (PROTOCOL.md section 1). Every call sends the bearer token when there is one;
// every failure becomes an ApiError carrying the server's {code, message, details}.

import { getToken } from "./session";
import type {
  Activity,
  Attendee,
  AuthResult,
  Circle,
  Going,
  Member,
  Notification,
  Payment,
  PaymentDetail,
  PaymentProvider,
  PaymentTotals,
  Signup,
  Ticket,
  User,
  WireError,
} from "./types";

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | null;

  constructor(status: number, error: WireError) {
    super(error.message || error.code);
    this.status = status;
    this.code = error.code;
    this.details = error.details ?? null;
  }
}

/** Called when any request answers 401: the token is gone, so the app signs the user out. */
let onUnauthorized: () => void = () => {};

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const resp = await send(method, path, body, "application/json");
  if (resp.status === 204) return undefined as T;
  return (await resp.json().catch(() => null)) as T;
}

/** A non-JSON resource (e.g. the ticket's SVG), fetched with the bearer token as text. */
async function requestText(path: string, accept: string): Promise<string> {
  const resp = await send("GET", path, undefined, accept);
  return resp.text();
}

/** Send one request; answers the response when it is a success, else throws ApiError. */
async function send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp: Response;
  try {
    resp = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "unavailable", message: "Cannot reach the server" });
  }
  if (resp.ok) return resp;
  const payload: unknown = await resp.json().catch(() => null);
  const error = (payload as { error?: WireError } | null)?.error ?? {
    code: resp.status >= 500 ? "unavailable" : "invalid",
    message: resp.statusText || `HTTP ${resp.status}`,
  };
  if (resp.status === 401 && token && !path.startsWith("/auth/")) onUnauthorized();
  throw new ApiError(resp.status, error);
}

export interface CircleQuery {
  q?: string;
  category?: string;
  tag?: string;
}

// Request bodies: the server's input models (types.ts, generated from its OpenAPI document).
import type { ActivityPatch, NewActivity, NewCircle } from "./types";
export type { ActivityPatch, NewActivity, NewCircle };

export type When = "upcoming" | "past";

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value) search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const api = {
  register: (handle: string, password: string, display_name: string) =>
    request<AuthResult>("POST", "/auth/register", { handle, password, display_name }),
  login: (handle: string, password: string) =>
    request<AuthResult>("POST", "/auth/login", { handle, password }),
  logout: () => request<void>("POST", "/auth/logout"),
  me: () => request<{ user: User }>("GET", "/me"),

  listCircles: (q: CircleQuery) =>
    request<{ circles: Circle[] }>("GET", `/circles${query({ ...q })}`),
  getCircle: (id: string) => request<{ circle: Circle }>("GET", `/circles/${enc(id)}`),
  createCircle: (circle: NewCircle) => request<{ circle: Circle }>("POST", "/circles", circle),
  joinCircle: (id: string, invite?: string) =>
    request<{ membership: unknown }>("POST", `/circles/${enc(id)}/join`, invite ? { invite } : {}),
  leaveCircle: (id: string) => request<void>("POST", `/circles/${enc(id)}/leave`),
  /** The circle an invite opens, by name; needs no session (the invite link's landing page). */
  invitePreview: (id: string, invite: string) =>
    request<{ circle: { id: string; name: string } }>("POST", `/circles/${enc(id)}/invite-preview`, { invite }),
  createInvite: (id: string) =>
    request<{ invite: string; url: string }>("POST", `/circles/${enc(id)}/invites`, {}),
  members: (id: string) => request<{ members: Member[] }>("GET", `/circles/${enc(id)}/members`),

  createActivity: (circleId: string, body: NewActivity) =>
    request<{ activity: Activity }>("POST", `/circles/${enc(circleId)}/activities`, body),
  circleActivities: (circleId: string, when: When) =>
    request<{ activities: Activity[] }>("GET", `/circles/${enc(circleId)}/activities${query({ when })}`),
  myActivities: (when: When) =>
    request<{ items: Array<{ activity: Activity; signup: Signup }> }>("GET", `/me/activities${query({ when })}`),
  hostedActivities: (when: When) =>
    request<{ activities: Activity[] }>("GET", `/me/hosting${query({ when })}`),
  getActivity: (id: string) =>
    request<{ activity: Activity; my_signup: Signup | null }>("GET", `/activities/${enc(id)}`),
  patchActivity: (id: string, patch: ActivityPatch) =>
    request<{ activity: Activity }>("PATCH", `/activities/${enc(id)}`, patch),
  cancelActivity: (id: string, reason: string) =>
    request<{ activity: Activity }>("POST", `/activities/${enc(id)}/cancel`, { reason }),
  attendees: (id: string) => request<{ signups: Attendee[] }>("GET", `/activities/${enc(id)}/attendees`),
  ticket: (id: string) => request<Ticket>("GET", `/activities/${enc(id)}/ticket`),
  ticketSvg: (id: string, code: string) =>
    requestText(`/activities/${enc(id)}/ticket.svg?code=${enc(code)}`, "image/svg+xml"),
  checkin: (id: string, code: string) =>
    request<{ signup: Signup }>("POST", `/activities/${enc(id)}/checkin`, { code }),
  checkinUser: (id: string, userId: string) =>
    request<{ signup: Signup }>("POST", `/activities/${enc(id)}/checkin/user`, { user_id: userId }),
  undoCheckin: (id: string, userId: string) =>
    request<{ signup: Signup }>("POST", `/activities/${enc(id)}/checkin/undo`, { user_id: userId }),
  going: (id: string) => request<Going>("GET", `/activities/${enc(id)}/going`),

  createPayment: (activityId: string, provider: PaymentProvider) =>
    request<{ payment: Payment }>("POST", `/activities/${enc(activityId)}/payment`, { provider }),
  getPayment: (id: string) => request<PaymentDetail>("GET", `/payments/${enc(id)}`),
  submitProof: (id: string, reference: string, note?: string) =>
    request<{ payment: Payment }>("POST", `/payments/${enc(id)}/proof`, note ? { reference, note } : { reference }),
  confirmPayment: (id: string) => request<{ payment: Payment }>("POST", `/payments/${enc(id)}/confirm`, {}),
  rejectPayment: (id: string, reason: string) =>
    request<{ payment: Payment }>("POST", `/payments/${enc(id)}/reject`, reason ? { reason } : {}),
  markRefunded: (id: string) => request<{ payment: Payment }>("POST", `/payments/${enc(id)}/refunded`, {}),
  completeSandbox: (id: string) => request<{ payment: Payment }>("POST", `/payments/${enc(id)}/sandbox/complete`, {}),
  paymentProviders: () => request<{ providers: PaymentProvider[] }>("GET", "/payments/providers"),
  activityPayments: (activityId: string) =>
    request<{ payments: PaymentDetail[]; totals: PaymentTotals }>("GET", `/activities/${enc(activityId)}/payments`),

  notifications: () => request<{ notifications: Notification[]; unread_count: number }>("GET", "/notifications"),
  markNotificationsRead: (body: { ids: string[] } | { all: true }) =>
    request<{ unread_count: number }>("POST", "/notifications/read", body),
};

function enc(id: string): string {
  return encodeURIComponent(id);
}

/** A short human sentence for an error, naming invalid fields when the server says which. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.details?.fields;
    if (err.code === "invalid" && fields && typeof fields === "object") {
      return `${err.message} (${Object.keys(fields).join(", ")})`;
    }
    if (err.code === "conflict" && typeof err.details?.reason === "string") {
      return `${err.message} (${err.details.reason})`;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
