// Ask before an action that costs something (a seat given away, a circle left): one shared,
// accessible modal built on <dialog>. `showModal()` makes the rest of the page inert, moves the
// focus into the dialog and closes it on Escape; the dialog is labelled by its title and
// described by its message, so a screen reader reads the consequence along with the question.
// The safe choice (keep) has the focus first, so Enter never gives a seat away by accident.

import { h, type Child } from "../dom";

export interface ConfirmOptions {
  title: string;
  /** The consequence, in words (one paragraph per entry). */
  message: Child[] | Child[][];
  /** The label of the button that does it ("Cancel my spot"). */
  confirm: string;
  /** The label of the button that keeps things as they are ("Keep my spot"). */
  keep?: string;
  danger?: boolean;
}

let seq = 0;

/** Show the dialog; resolves true when the action is confirmed, false when dismissed. */
export function confirmAction(opts: ConfirmOptions): Promise<boolean> {
  seq += 1;
  const titleId = `confirm-title-${seq}`;
  const bodyId = `confirm-body-${seq}`;
  const paragraphs = (Array.isArray(opts.message[0]) ? opts.message : [opts.message]) as Child[][];
  const keep = h("button", { testid: "confirm-keep", attrs: { type: "button", value: "keep", autofocus: true } }, opts.keep ?? "Keep it");
  const ok = h(
    "button",
    { class: opts.danger === false ? "primary" : "danger", testid: "confirm-ok", attrs: { type: "button", value: "ok" } },
    opts.confirm,
  );
  const dialog = h(
    "dialog",
    {
      class: "confirm-dialog",
      testid: "confirm-dialog",
      attrs: { "aria-labelledby": titleId, "aria-describedby": bodyId },
    },
    h("h2", { attrs: { id: titleId } }, opts.title),
    h("div", { testid: "confirm-message", attrs: { id: bodyId } }, ...paragraphs.map((p) => h("p", {}, ...p))),
    h("div", { class: "form-buttons confirm-buttons" }, keep, ok),
  );
  return new Promise((resolve) => {
    let answer = false;
    keep.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    // A click on the backdrop (outside the dialog's box) dismisses, like Escape.
    dialog.addEventListener("click", (ev) => {
      if (ev.target !== dialog) return;
      const r = dialog.getBoundingClientRect();
      const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
      if (!inside) dialog.close();
    });
    // Leaving the page (a link, Back) dismisses: the question was about the page left.
    const dismiss = () => dialog.close();
    window.addEventListener("hashchange", dismiss);
    dialog.addEventListener("close", () => {
      window.removeEventListener("hashchange", dismiss);
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    keep.focus();
  });
}
