// Organiser verification (`#/me/verification`): the status of the latest submission (pending,
// approved, or rejected with the reason) and the form (legal name, document type and number, an
// image uploaded with purpose=verification). Only the last 4 characters of the number ever come
// back from the server.

import { describeError } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { formatWhen } from "../format";
import { moderationApi, uploadVerificationImage, type DocumentType, type MyVerification } from "./moderationApi";
import type { View } from "./view";

const DOCUMENTS: Array<[DocumentType, string]> = [
  ["passport", "Passport"],
  ["id_card", "Identity card"],
  ["driving_licence", "Driving licence"],
  ["residence_permit", "Residence permit"],
];

export function verificationView(): View {
  const status = h("div", { class: "verification-status", testid: "verification-status" }, "Loading…");
  const formHost = h("div", {});

  function showStatus(me: MyVerification): void {
    const v = me.verification;
    status.dataset.state = me.verified ? "approved" : (v?.status ?? "none");
    const lines: Array<HTMLElement | string> = [];
    if (me.verified) lines.push(h("p", { class: "verified", testid: "verification-state" }, "✓ You are a verified organiser."));
    else if (!v) lines.push(h("p", { testid: "verification-state" }, "Not verified yet. Paid activities need a verified organiser."));
    else if (v.status === "pending")
      lines.push(h("p", { testid: "verification-state" }, `Submitted ${formatWhen(v.submitted_at)}: waiting for review.`));
    else if (v.status === "rejected")
      lines.push(
        h("p", { class: "error", testid: "verification-state" }, "Your verification was not accepted."),
        v.review?.reason ? h("p", {}, "Reason: ", userText(v.review.reason, "verification-reason")) : "",
        h("p", { class: "muted" }, "You can correct it and submit again below."),
      );
    if (v) lines.push(h("p", { class: "muted" }, `${v.legal_name} · ${DOCUMENTS.find(([d]) => d === v.document_type)?.[1] ?? v.document_type} ending ${v.document_last4}`));
    if (me.platform_admin) lines.push(h("p", {}, h("a", { testid: "admin-link", attrs: { href: "#/admin/verifications" } }, "Review organiser verifications")));
    replaceChildren(status, ...lines);
    replaceChildren(formHost, !me.verified && v?.status !== "pending" ? form() : null);
  }

  function form(): HTMLElement {
    const name = h("input", { testid: "verification-name", attrs: { type: "text", required: true, minlength: 2, maxlength: 120, autocomplete: "name" } });
    const type = h("select", { testid: "verification-type" }, ...DOCUMENTS.map(([v, label]) => h("option", { attrs: { value: v } }, label)));
    const number = h("input", {
      testid: "verification-number",
      attrs: { type: "text", required: true, minlength: 4, maxlength: 40, autocomplete: "off", pattern: "[A-Za-z0-9 \\-]{4,40}" },
    });
    const image = h("input", { testid: "verification-image", attrs: { type: "file", accept: "image/*", required: true } });
    const error = h("p", { class: "error", testid: "verification-error", attrs: { role: "alert" } });
    const submit = h("button", { class: "primary", testid: "verification-submit", attrs: { type: "submit" } }, "Submit for review");
    return h(
      "form",
      {
        class: "stack",
        testid: "verification-form",
        on: {
          submit: async (ev: Event) => {
            ev.preventDefault();
            const file = image.files?.[0];
            if (!file) {
              error.textContent = "Add a photo of the document or a selfie holding it.";
              return;
            }
            error.textContent = "";
            submit.disabled = true;
            try {
              const upload_id = await uploadVerificationImage(file);
              await moderationApi.submitVerification({
                legal_name: name.value.trim(),
                document_type: type.value as DocumentType,
                document_number: number.value.trim(),
                upload_id,
              });
              await load();
            } catch (err) {
              error.textContent = describeError(err);
              submit.disabled = false;
            }
          },
        },
      },
      h("label", {}, "Legal name (as on the document)", name),
      h("label", {}, "Document", type),
      h("label", {}, "Document number (only its last 4 characters are ever shown)", number),
      h("label", {}, "Photo of the document, or a selfie holding it", image),
      submit,
      error,
    );
  }

  async function load(): Promise<void> {
    try {
      showStatus(await moderationApi.myVerification());
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  void load();
  return {
    el: h(
      "section",
      { class: "pane verification", testid: "verification-view" },
      h("header", { class: "pane-header" }, h("h1", {}, "Organiser verification")),
      status,
      formHost,
    ),
  };
}
