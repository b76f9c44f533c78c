// Notifications (PROTOCOL.md section 5): the newest page from GET /api/notifications, live
// `notification` events prepended, and the unread count. Views subscribe to "notifications".

import { api } from "./api";
import { mergePage, sortNewest } from "./notificationMerge";
import { store } from "./store";
import type { Notification } from "./types";

export class Notifications {
  /** Newest first, merged by id. */
  items: Notification[] = [];
  unread = 0;
  loaded = false;
  error: string | null = null;
  private generation = 0;

  reset(): void {
    this.items = [];
    this.unread = 0;
    this.loaded = false;
    this.error = null;
    this.generation++;
  }

  /** Fetch the newest page; live events received meanwhile are kept. */
  async load(): Promise<void> {
    const mine = ++this.generation;
    try {
      const data = await api.notifications();
      if (mine !== this.generation) return;
      this.items = mergePage(this.items, data.notifications);
      const localUnread = this.items.filter((n) => !n.read).length;
      this.unread = Math.max(data.unread_count, localUnread);
      this.loaded = true;
      this.error = null;
    } catch (err) {
      if (mine !== this.generation) return;
      this.error = err instanceof Error ? err.message : String(err);
    }
    store.notify("notifications");
  }

  /** A live `notification` event. */
  onLive(n: Notification): void {
    if (!n || typeof n.id !== "string") return;
    const held = this.items.find((it) => it.id === n.id);
    if (!held) {
      this.items = sortNewest([n, ...this.items]);
      if (!n.read) this.unread += 1;
    } else if (Number(n.data?.count ?? 0) > Number(held.data?.count ?? 0)) {
      // A digest (the organiser's "3 new sign-ups") is updated in place under its id, and
      // unread again; a late copy with a smaller count is stale.
      this.items = sortNewest([n, ...this.items.filter((it) => it.id !== n.id)]);
      if (held.read && !n.read) this.unread += 1;
    }
    store.notify("notifications");
    const activityId = n.data?.activity_id;
    if (typeof activityId === "string") store.noteActivityNotice(activityId);
  }

  async markRead(ids: string[]): Promise<void> {
    const unread = ids.filter((id) => this.items.some((n) => n.id === id && !n.read));
    if (unread.length === 0) return;
    this.setRead((n) => unread.includes(n.id));
    const { unread_count } = await api.markNotificationsRead({ ids: unread });
    this.unread = unread_count;
    store.notify("notifications");
  }

  async markAllRead(): Promise<void> {
    this.setRead(() => true);
    const { unread_count } = await api.markNotificationsRead({ all: true });
    this.unread = unread_count;
    store.notify("notifications");
  }

  private setRead(which: (n: Notification) => boolean): void {
    let changed = 0;
    this.items = this.items.map((n) => {
      if (n.read || !which(n)) return n;
      changed++;
      return { ...n, read: true };
    });
    this.unread = Math.max(0, this.unread - changed);
    store.notify("notifications");
  }
}

export const notifications = new Notifications();
