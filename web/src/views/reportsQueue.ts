// The review queue (`#/circle/<id>/reports`), for staff with `view_reports`: open items (one per
// reported message, post or member, reports of one target grouped) with their count, reasons,
// the reported text, the messages around it, who reported and why, and the reported user's
// recent moderation history; the decisions the viewer may take (dismiss, remove, mute for a
// duration, kick, ban) with a reason. "Decided" lists what was decided and how. Anyone else who
// opens the address sees the server's refusal.

import { api, describeError } from "../api";
import { formatTime, h, replaceChildren, userText } from "../dom";
import { formatWhen } from "../format";
import { circleSettingsHash } from "../router";
import { store } from "../store";
import { confirmAction } from "./confirm";
import { moderationApi, MUTE_CHOICES, type Permissions } from "./moderationApi";
import { describeAudit } from "./moderationAudit";
import {
  ACTION_LABEL,
  decisionActions,
  decisionBody,
  kindText,
  outcomeText,
  reasonSummary,
  reportsApi,
  type DecideAction,
  type QueueStatus,
  type ReportItem,
} from "./reportsApi";
import type { View } from "./view";

const PAGE = 20;

export function reportsQueueView(circleId: string): View {
  let perms: Permissions | null = null;
  let status: QueueStatus = "open";
  let before: string | null = null;
  const names = new Map<string, string>();
  const name = (id: string) => names.get(id) ?? store.displayName(id);

  const list = h("ol", { class: "report-list", testid: "report-list" });
  const note = h("p", { class: "muted", testid: "reports-status", attrs: { role: "status" } });
  const error = h("p", { class: "error", testid: "reports-error", attrs: { role: "alert" } });
  const more = h("button", { testid: "reports-more", attrs: { type: "button" }, on: { click: () => load(false) } }, "Older items");
  more.hidden = true;
  const tab = (which: QueueStatus, label: string) =>
    h(
      "button",
      {
        class: "tab",
        testid: `reports-tab-${which}`,
        attrs: { type: "button", role: "tab", "aria-selected": String(which === status) },
        on: {
          click: () => {
            status = which;
            for (const t of tabs.children) t.setAttribute("aria-selected", String(t === tabFor[which]));
            void load(true);
          },
        },
      },
      label,
    );
  const tabFor: Record<QueueStatus, HTMLElement> = { open: tab("open", "Open"), decided: tab("decided", "Decided") };
  const tabs = h("div", { class: "tabs", attrs: { role: "tablist" } }, tabFor.open, tabFor.decided);

  async function load(fresh: boolean): Promise<void> {
    if (fresh) {
      before = null;
      replaceChildren(list);
    }
    note.textContent = "Loading…";
    error.textContent = "";
    try {
      const page = await reportsApi.queue(circleId, status, before, PAGE);
      for (const item of page.items) list.append(itemRow(item));
      before = page.next_before;
      more.hidden = !before;
      note.textContent = list.childElementCount ? "" : status === "open" ? "No open reports." : "Nothing decided yet.";
    } catch (err) {
      note.textContent = "";
      error.textContent = describeError(err);
      tabs.hidden = true;
    }
  }

  function learnNames(item: ReportItem): void {
    for (const r of item.reports) if (r.reporter_name) names.set(r.reporter_id, r.reporter_name);
    for (const m of item.context.messages) names.set(m.sender_id, m.sender_name);
  }

  function itemRow(item: ReportItem): HTMLElement {
    learnNames(item);
    const row = h("li", {
      class: "report-item",
      testid: "report-item",
      dataset: { itemId: item.id, status: item.status, kind: item.kind, targetId: item.target_id },
    });
    drawItem(row, item);
    return row;
  }

  function drawItem(row: HTMLElement, item: ReportItem): void {
    row.dataset.status = item.status;
    const subject = item.context.subject;
    replaceChildren(
      row,
      h(
        "header",
        { class: "report-head" },
        h("span", { class: "pill" }, kindText(item.kind)),
        " ",
        h("strong", { testid: "report-count", dataset: { count: item.report_count } }, item.report_count === 1 ? "1 report" : `${item.report_count} reports`),
        " · ",
        h("span", { testid: "report-reasons" }, reasonSummary(item.reasons)),
        " · ",
        h("span", { class: "muted" }, formatWhen(item.opened_at)),
      ),
      h(
        "p",
        { class: "report-subject", testid: "report-subject" },
        "Reported: ",
        userText(name(item.subject_id)),
        h("span", { class: "muted" }, subject.role ? ` (${subject.role})` : " (no longer a member)"),
      ),
      item.excerpt ? h("blockquote", { class: "report-excerpt", testid: "report-excerpt", attrs: { dir: "auto" } }, userText(item.excerpt)) : null,
      contextMessages(item),
      item.context.post
        ? h("div", { class: "report-post", testid: "report-post" }, h("span", { class: "muted" }, "The post: "), userText(item.context.post.text))
        : null,
      h(
        "ul",
        { class: "report-reporters", testid: "report-reporters" },
        ...item.reports.map((r) =>
          h(
            "li",
            { testid: "report-reporter", dataset: { reporterId: r.reporter_id } },
            userText(r.reporter_name ?? "Deleted account"),
            `: ${reasonSummary({ [r.reason]: 1 })}`,
            r.text ? h("span", { class: "muted" }, " — ", userText(r.text)) : null,
          ),
        ),
      ),
      subject.history.length
        ? h(
            "details",
            { class: "report-history", testid: "report-history" },
            h("summary", {}, `Their moderation history (${subject.history.length})`),
            h("ul", {}, ...subject.history.map((e) => h("li", {}, `${formatWhen(e.at)} `, describeAudit(e, name), e.reason ? ` (reason: ${e.reason})` : ""))),
          )
        : null,
      item.decision
        ? h(
            "p",
            { class: "report-decision", testid: "report-decision", dataset: { outcome: item.decision.outcome } },
            `${outcomeText(item.decision.outcome)} by ${name(item.decision.decided_by)}, ${formatWhen(item.decision.decided_at)}`,
            item.decision.reason ? ` (reason: ${item.decision.reason})` : "",
          )
        : actionsFor(row, item),
    );
  }

  function contextMessages(item: ReportItem): HTMLElement | null {
    if (item.kind !== "message" || item.context.messages.length === 0) return null;
    return h(
      "ol",
      { class: "report-context", testid: "report-context" },
      ...item.context.messages.map((m) =>
        h(
          "li",
          {
            class: `report-context-message${m.id === item.target_id ? " reported" : ""}`,
            testid: "report-context-message",
            dataset: { messageId: m.id, reported: String(m.id === item.target_id), deleted: String(m.deleted) },
          },
          h("span", { class: "muted" }, formatTime(m.created_at), " "),
          userText(m.sender_name, undefined, "report-context-sender"),
          ": ",
          m.deleted ? h("span", { class: "tombstone" }, m.removed_by === "moderator" ? "removed by a moderator" : "message deleted") : userText(m.text),
        ),
      ),
    );
  }

  function actionsFor(row: HTMLElement, item: ReportItem): HTMLElement | null {
    const actions = decisionActions(perms, item);
    if (actions.length === 0) return null;
    const reason = h("input", {
      testid: "report-decision-reason",
      attrs: { type: "text", maxlength: 500, placeholder: "Reason (kept in the audit log, not shown to reporters)", "aria-label": "Reason" },
    });
    const duration = h(
      "select",
      { testid: "report-mute-duration", attrs: { "aria-label": "Mute for" } },
      ...MUTE_CHOICES.map(([label, seconds]) => h("option", { attrs: { value: seconds } }, label)),
    );
    const status = h("p", { class: "muted", testid: "report-action-status", attrs: { role: "status" } });
    const decide = async (action: DecideAction): Promise<void> => {
      // Removing someone from the circle is asked again; the rest is undone by other means.
      if (action === "kick" || action === "ban") {
        const who = name(item.subject_id);
        const ok = await confirmAction({
          title: action === "ban" ? `Ban ${who}?` : `Remove ${who} from the circle?`,
          message: [action === "ban" ? "They leave the circle now and cannot join again or see it until unbanned." : "They leave the circle now and may join again."],
          confirm: ACTION_LABEL[action],
          danger: true,
        });
        if (!ok) return;
      }
      status.textContent = `${ACTION_LABEL[action]}…`;
      try {
        const out = await reportsApi.decide(circleId, decisionBody(item.id, action, reason.value, Number(duration.value)));
        if (status.isConnected) drawItem(row, out.item);
      } catch (err) {
        status.textContent = describeError(err);
      }
    };
    return h(
      "div",
      { class: "report-actions stack", testid: "report-actions" },
      reason,
      h(
        "div",
        { class: "row" },
        ...actions.flatMap((a) => [
          a === "mute" ? duration : null,
          h(
            "button",
            { class: a === "ban" || a === "remove" ? "danger" : "", testid: `report-action-${a}`, attrs: { type: "button" }, on: { click: () => decide(a) } },
            ACTION_LABEL[a],
          ),
        ]),
      ),
      status,
    );
  }

  async function start(): Promise<void> {
    try {
      perms = await moderationApi.permissions(circleId);
    } catch {
      perms = null; // the queue's own refusal says why
    }
    // Names of members not in the chat's context (a member report): best effort.
    await api
      .members(circleId)
      .then(({ members }) => {
        for (const m of members) names.set(m.user.id, m.user.display_name);
      })
      .catch(() => undefined);
    await load(true);
  }

  void start();
  return {
    el: h(
      "section",
      { class: "pane reports-queue", testid: "reports-view", dataset: { circleId } },
      h("header", { class: "pane-header" }, h("a", { attrs: { href: circleSettingsHash(circleId) } }, "← Circle settings"), h("h1", {}, "Reports")),
      tabs,
      error,
      note,
      list,
      more,
    ),
  };
}
