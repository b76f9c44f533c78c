// The platform administrators' review of organiser verifications (`#/admin/verifications`):
// pending submissions oldest first; each opens with its image (fetched with the token, shown
// from a blob: URL) and is approved, or rejected with a reason the organiser reads. Everyone
// else gets the server's `forbidden`.

import { describeError } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { formatWhen } from "../format";
import { adminImageUrl, moderationApi, type QueueItem } from "./moderationApi";
import type { View } from "./view";

export function adminVerificationsView(): View {
  const list = h("ul", { class: "admin-queue", testid: "admin-queue" });
  const status = h("p", { class: "muted", testid: "admin-status" });
  const urls: string[] = [];

  function item(v: QueueItem): HTMLElement {
    const img = h("img", { testid: "admin-image", attrs: { alt: `Document of ${v.legal_name}`, width: 240 } });
    const reason = h("input", { testid: "admin-reason", attrs: { type: "text", maxlength: 500, placeholder: "Reason (required to reject)" } });
    const error = h("p", { class: "error", testid: "admin-error", attrs: { role: "alert" } });
    const decide = (decision: "approved" | "rejected") => async () => {
      try {
        await moderationApi.adminReview(v.id, decision, reason.value.trim() || null);
        await load();
        status.textContent = decision === "approved" ? `${v.legal_name} approved.` : `${v.legal_name} rejected.`;
      } catch (err) {
        error.textContent = describeError(err);
      }
    };
    const view = h(
      "button",
      {
        testid: "admin-view",
        attrs: { type: "button" },
        on: {
          click: async () => {
            try {
              // The submission as it is now (reviewed meanwhile by another administrator?).
              const now = (await moderationApi.adminItem(v.id)).verification;
              if (now.status !== "pending") error.textContent = `Already ${now.status}.`;
              const url = await adminImageUrl(v.image_url);
              urls.push(url);
              img.src = url;
            } catch (err) {
              error.textContent = describeError(err);
            }
          },
        },
      },
      "View document",
    );
    return h(
      "li",
      { class: "admin-item", testid: "admin-item", dataset: { id: v.id } },
      userText(v.legal_name, "admin-name"),
      h("span", { class: "muted" }, ` · ${v.document_type} ending ${v.document_last4} · submitted ${formatWhen(v.submitted_at)}`),
      h("div", {}, view, img),
      reason,
      h(
        "div",
        { class: "row" },
        h("button", { class: "primary", testid: "admin-approve", attrs: { type: "button" }, on: { click: decide("approved") } }, "Approve"),
        h("button", { class: "danger", testid: "admin-reject", attrs: { type: "button" }, on: { click: decide("rejected") } }, "Reject"),
      ),
      error,
    );
  }

  async function load(): Promise<void> {
    try {
      const { verifications } = await moderationApi.adminQueue();
      replaceChildren(list, ...verifications.map(item));
      status.textContent = verifications.length ? "" : "No submissions waiting.";
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  void load();
  return {
    el: h(
      "section",
      { class: "pane admin-verifications", testid: "admin-verifications-view" },
      h("header", { class: "pane-header" }, h("h1", {}, "Organiser verifications")),
      status,
      list,
    ),
    dispose: () => urls.forEach((u) => URL.revokeObjectURL(u)),
  };
}
