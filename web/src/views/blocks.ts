// Blocking (docs/protocol.md "Join approval and blocks"): a user's own list of blocked users.
// The server refuses DMs between the two; in circles it hides nothing and the client collapses
// the blocked users' messages (blocksCollapse.ts), from the ids `GET /api/me/blocks` lists.
// The ids are loaded once per session and kept here; views listen with `onBlocksChanged`.

import { request } from "../api";
import type { components } from "../wire.gen";

type S = components["schemas"];
export type Block = S["BlockOut"];

export const blocksApi = {
  list: () => request<S["BlocksOut"]>("GET", "/me/blocks"),
  block: (userId: string) => request<S["BlockEnvelope"]>("POST", "/me/blocks", { user_id: userId } satisfies S["BlockIn"]),
  unblock: (userId: string) => request<void>("DELETE", `/me/blocks/${encodeURIComponent(userId)}`),
};

/** The blocked ids of this session, with listeners told of every change. */
export class BlockedIds {
  private ids = new Set<string>();
  private loading: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly fetchIds: () => Promise<string[]>) {}

  has(userId: string): boolean {
    return this.ids.has(userId);
  }

  /** Load once (again after `reset`); a failed load is retried by the next call. */
  load(): Promise<void> {
    this.loading ??= this.fetchIds()
      .then((ids) => this.replace(ids))
      .catch((err: unknown) => {
        this.loading = null;
        throw err;
      });
    return this.loading;
  }

  set(userId: string, blocked: boolean): void {
    if (blocked === this.ids.has(userId)) return;
    if (blocked) this.ids.add(userId);
    else this.ids.delete(userId);
    this.emit();
  }

  reset(): void {
    this.ids = new Set();
    this.loading = null;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private replace(ids: string[]): void {
    this.ids = new Set(ids);
    this.emit();
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

export const blocked = new BlockedIds(async () => (await blocksApi.list()).user_ids);

/** Block or unblock, keeping the session's ids in step. */
export async function setBlocked(userId: string, on: boolean): Promise<void> {
  if (on) await blocksApi.block(userId);
  else await blocksApi.unblock(userId);
  blocked.set(userId, on);
}

/** A DM refusal because of a block (`forbidden` with `details.reason` `blocked` or
 * `you_blocked`) as a sentence; null for any other error. */
export function blockRefusalText(err: unknown, name = "this person"): string | null {
  if (!err || typeof err !== "object") return null;
  const e = err as { code?: unknown; details?: Record<string, unknown> | null };
  if (e.code !== "forbidden") return null;
  const reason = e.details?.reason;
  if (reason === "blocked") return `You cannot message ${name}: they do not accept messages from you.`;
  if (reason === "you_blocked") return `You blocked ${name}. Unblock them to send a message.`;
  return null;
}
