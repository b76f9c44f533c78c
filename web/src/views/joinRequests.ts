// Join approval (docs/protocol.md "Join approval and blocks"): the HTTP calls, typed from
// wire.gen.ts, the live `circle:join_decided` relay, and the pure rules the views follow
// (questions typed one per line, answers checked before sending, a request's state in words).

import { ApiError, request } from "../api";
import type { components } from "../wire.gen";

type S = components["schemas"];
export type JoinRequest = S["JoinRequestOut"];
export type JoinDecided = S["JoinDecidedOut"];
export type JoinApprovalIn = S["JoinApprovalIn"];

const enc = encodeURIComponent;
const path = (id: string, rest: string) => `/circles/${enc(id)}/${rest}`;

export const joinApi = {
  ask: (circleId: string, answers: string[], invite: string | null = null) =>
    request<S["JoinRequestEnvelope"]>("POST", path(circleId, "join-requests"), { answers, ...(invite ? { invite } : {}) } satisfies S["JoinRequestIn"]),
  mine: (circleId: string) => request<S["JoinRequestEnvelope"]>("GET", path(circleId, "join-requests/mine")),
  withdraw: (circleId: string) => request<void>("DELETE", path(circleId, "join-requests/mine")),
  pending: (circleId: string) => request<S["JoinRequestsOut"]>("GET", path(circleId, "join-requests")),
  approve: (circleId: string, userId: string) =>
    request<S["MembershipEnvelope"]>("POST", path(circleId, "join-requests/approve"), { user_id: userId } satisfies S["JoinDecideIn"]),
  decline: (circleId: string, userId: string, reason: string) =>
    request<S["JoinRequestEnvelope"]>("POST", path(circleId, "join-requests/decline"), { user_id: userId, reason } satisfies S["JoinDecideIn"]),
  setApproval: (circleId: string, body: JoinApprovalIn) => request<S["CircleEnvelope"]>("PUT", path(circleId, "join-approval"), body),
  setNewcomers: (circleId: string, linkHours: number) =>
    request<S["CircleEnvelope"]>("PUT", path(circleId, "newcomers"), { link_hours: linkHours } satisfies S["NewcomersIn"]),
};

// ---- live decisions (chat.ts forwards `circle:join_decided`) -------------------------------

const listeners = new Set<(d: JoinDecided) => void>();

export function onJoinDecided(fn: (d: JoinDecided) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function joinDecided(d: JoinDecided): void {
  for (const fn of [...listeners]) fn(d);
}

// ---- pure rules -----------------------------------------------------------------------------

export const MAX_QUESTIONS = 5;
export const MAX_QUESTION = 300;
export const MAX_ANSWER = 1000;

/** The questions typed in the settings, one per line (blank lines dropped). */
export function parseQuestions(text: string): string[] {
  return text
    .split("\n")
    .map((q) => q.trim())
    .filter(Boolean);
}

/** What is wrong with the questions before sending them, or null. */
export function questionsProblem(questions: string[]): string | null {
  if (questions.length > MAX_QUESTIONS) return `At most ${MAX_QUESTIONS} questions.`;
  const long = questions.findIndex((q) => q.length > MAX_QUESTION);
  if (long >= 0) return `Question ${long + 1} is longer than ${MAX_QUESTION} characters.`;
  return null;
}

/** What is wrong with the answers before sending them, or null (each question needs one). */
export function answersProblem(questions: string[], answers: string[]): string | null {
  for (let i = 0; i < questions.length; i++) {
    const a = (answers[i] ?? "").trim();
    if (!a) return `Please answer: “${questions[i]}”`;
    if (a.length > MAX_ANSWER) return `Answer ${i + 1} is longer than ${MAX_ANSWER} characters.`;
  }
  return null;
}

/** The questions of an `approval_required` refusal of a join, or null for any other error. */
export function approvalQuestions(err: unknown): string[] | null {
  if (!(err instanceof ApiError) || err.code !== "conflict" || err.details?.reason !== "approval_required") return null;
  const q = err.details.questions;
  return Array.isArray(q) ? q.filter((x): x is string => typeof x === "string") : [];
}

/** A request's state as the requester reads it. */
export function requestStateText(r: Pick<JoinRequest, "status" | "reason">): string {
  switch (r.status) {
    case "pending":
      return "Request pending: the circle's staff will review it.";
    case "approved":
      return "Your request was approved: you are a member.";
    case "declined":
      return r.reason ? `Your request was declined: ${r.reason}` : "Your request was declined.";
    case "withdrawn":
      return "You withdrew your request.";
  }
}
