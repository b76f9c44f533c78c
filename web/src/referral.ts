// Referral attribution in the client (docs/protocol.md, "Referral attribution"). A share page's
// button opens `#/activity/<id>?signup=1&ref=<sharer>&ch=<channel>` or `#/join/<id>?ref=…`; a
// visitor who is not signed in goes through the login first. What the link carried is kept in
// sessionStorage per activity or circle (it survives the login, a registration and a reload of
// the tab, and is gone with the tab), then sent with the sign-up or the join, where the server
// credits the sharer once. `signup=1` is kept the same way: the activity page signs up once.

export type Channel = "link" | "poster" | "going";
export type Target = "activity" | "circle";

/** What a sign-up or join carries (the server's `ref`/`ch` fields). */
export interface Via {
  ref?: string;
  ch?: Channel;
}

const PREFIX = "circles.referral";
const REF_RE = /^[A-Za-z0-9_-]{1,64}$/; // the server's Id: anything else would be refused
const CHANNELS: ReadonlySet<string> = new Set(["link", "poster", "going"]);

function key(target: Target, id: string, what: "via" | "signup"): string {
  return `${PREFIX}.${what}.${target}.${id}`;
}

function read(k: string): string | null {
  try {
    return sessionStorage.getItem(k);
  } catch {
    return null; // storage disabled: the link still works, only the credit is lost
  }
}

function write(k: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(k);
    else sessionStorage.setItem(k, value);
  } catch {
    // as above
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Keep what a route's hash carries: `#/activity/<id>?…` and `#/join/<id>?…` (and the circle
 * page, `#/circle/<id>/about?…`). A malformed `ref` is dropped, an unknown `ch` read as `link`.
 */
export function captureReferral(hash: string | null): void {
  if (!hash) return;
  const [path, search = ""] = hash.replace(/^#/, "").split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decode);
  const target: Target | null =
    parts[0] === "activity" ? "activity" : parts[0] === "join" || parts[0] === "circle" ? "circle" : null;
  const id = parts[1];
  if (!target || !id) return;
  const params = new URLSearchParams(search);
  const ref = params.get("ref");
  if (ref && REF_RE.test(ref)) {
    const ch = params.get("ch");
    const via: Via = { ref, ch: ch && CHANNELS.has(ch) ? (ch as Channel) : "link" };
    write(key(target, id, "via"), JSON.stringify(via));
  }
  if (target === "activity" && params.get("signup") === "1") write(key(target, id, "signup"), "1");
}

/** The share link this activity or circle was opened from, if any (fields to send as they are). */
export function referralFor(target: Target, id: string): Via {
  const raw = read(key(target, id, "via"));
  if (!raw) return {};
  try {
    const via = JSON.parse(raw) as Via;
    if (typeof via.ref !== "string" || !REF_RE.test(via.ref)) return {};
    return { ref: via.ref, ch: via.ch && CHANNELS.has(via.ch) ? via.ch : "link" };
  } catch {
    return {};
  }
}

/** Done with it: the sign-up or join was stored (the server credits once anyway). */
export function forgetReferral(target: Target, id: string): void {
  write(key(target, id, "via"), null);
}

/** Whether the visitor came to sign up (`signup=1`) and has not been signed up yet. */
export function wantsSignup(activityId: string): boolean {
  return read(key("activity", activityId, "signup")) === "1";
}

export function signupHandled(activityId: string): void {
  write(key("activity", activityId, "signup"), null);
}
