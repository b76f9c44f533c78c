// The report form: a modal <dialog> asking why (a reason and optional words) a message, post or
// member is reported, sent to `POST /api/circles/{id}/reports`. Reporting the same thing again
// answers the first report (the server keeps one per reporter and target), so the dialog says
// "reported" either way; a refusal is shown in the dialog and nothing is sent again by itself.

import { describeError } from "../api";
import { h } from "../dom";
import { kindText, REPORT_REASONS, reportsApi, type ReportKind, type ReportReason } from "./reportsApi";

let seq = 0;

/** Ask for a reason and file the report; resolves true once the server has it. */
export function openReportDialog(circleId: string, kind: ReportKind, targetId: string, what: string): Promise<boolean> {
  seq += 1;
  const titleId = `report-title-${seq}`;
  const reason = h(
    "select",
    { testid: "report-reason", attrs: { required: true, "aria-label": "Reason" } },
    ...REPORT_REASONS.map(([value, label]) => h("option", { attrs: { value } }, label)),
  );
  const text = h("textarea", {
    testid: "report-text",
    attrs: { rows: 3, maxlength: 1000, placeholder: "Anything the moderators should know (optional)", "aria-label": "Details" },
  });
  const status = h("p", { class: "muted", testid: "report-status", attrs: { role: "status" } });
  const submit = h("button", { class: "danger", testid: "report-submit", attrs: { type: "submit" } }, "Send report");
  const cancel = h("button", { testid: "report-cancel", attrs: { type: "button" } }, "Cancel");
  let filed = false;
  const form = h(
    "form",
    {
      class: "stack",
      on: {
        submit: async (ev: Event) => {
          ev.preventDefault();
          submit.disabled = true;
          status.textContent = "Sending…";
          try {
            await reportsApi.file(circleId, { kind, target_id: targetId, reason: reason.value as ReportReason, text: text.value.trim() });
            filed = true;
            status.textContent = "Thanks: the circle's moderators will review it. You will hear the outcome.";
            status.dataset.state = "sent";
            submit.hidden = true;
            cancel.textContent = "Close";
          } catch (err) {
            status.textContent = describeError(err);
            status.dataset.state = "error";
            submit.disabled = false;
          }
        },
      },
    },
    h("h2", { attrs: { id: titleId } }, `Report ${kindText(kind).toLowerCase()}`),
    h("p", { class: "muted report-what", testid: "report-what" }, what),
    h("label", {}, "Reason", reason),
    h("label", {}, "Details", text),
    status,
    h("div", { class: "form-buttons" }, cancel, submit),
  );
  const dialog = h("dialog", { class: "confirm-dialog report-dialog", testid: "report-dialog", attrs: { "aria-labelledby": titleId } }, form);
  return new Promise((resolve) => {
    cancel.addEventListener("click", () => dialog.close());
    const dismiss = () => dialog.close();
    window.addEventListener("hashchange", dismiss);
    dialog.addEventListener("close", () => {
      window.removeEventListener("hashchange", dismiss);
      dialog.remove();
      resolve(filed);
    });
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}
