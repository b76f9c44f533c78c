// What any member may do about another member from the member list: report them to the
// circle's moderators (views/reportsDialog.ts) and block or unblock them (views/blocks.ts).
// Staff find these in their moderation menu (membersModeration.ts); everyone else gets a "⋯"
// menu with only these.

import { describeError } from "../api";
import { h } from "../dom";
import { blocked, setBlocked } from "./blocks";
import { openReportDialog } from "./reportsDialog";

/** The report and block buttons for `userId`, with a status line of their own. */
export function memberPersonalParts(circleId: string, userId: string, name: string): HTMLElement {
  const status = h("p", { class: "muted", testid: "member-personal-status", attrs: { role: "status" } });
  const block = blockButton(userId, name, status, "member-block");
  return h(
    "div",
    { class: "row member-personal" },
    h(
      "button",
      {
        testid: "member-report",
        attrs: { type: "button" },
        on: { click: () => openReportDialog(circleId, "member", userId, name).then(() => undefined) },
      },
      "Report member",
    ),
    block,
    status,
  );
}

/** "Block" / "Unblock" for `userId`, following the session's blocked ids. */
export function blockButton(userId: string, name: string, status: HTMLElement, testid: string): HTMLButtonElement {
  const button = h("button", { testid, attrs: { type: "button" } });
  const draw = () => {
    const on = blocked.has(userId);
    button.textContent = on ? "Unblock" : "Block";
    button.dataset.blocked = String(on);
  };
  button.addEventListener("click", () => {
    const on = !blocked.has(userId);
    button.disabled = true;
    setBlocked(userId, on)
      .then(() => {
        status.textContent = on ? `You blocked ${name}: their messages are collapsed and they cannot message you.` : `You unblocked ${name}.`;
      })
      .catch((err) => (status.textContent = describeError(err)))
      .finally(() => {
        button.disabled = false;
        draw();
      });
  });
  const unsub = blocked.subscribe(() => {
    if (!button.isConnected) unsub();
    else draw();
  });
  blocked.load().then(draw, () => undefined);
  draw();
  return button;
}

/** The "⋯" menu of a member for viewers who do not moderate them. */
export function memberPersonalMenu(circleId: string, userId: string, name: string): HTMLElement {
  const menu = h("div", { class: "member-menu", testid: "member-personal-menu", attrs: { role: "menu" } }, memberPersonalParts(circleId, userId, name));
  menu.hidden = true;
  const toggle = h(
    "button",
    {
      class: "icon",
      testid: "member-personal-toggle",
      attrs: { type: "button", "aria-haspopup": "menu", "aria-label": `More about ${name}` },
      on: {
        click: () => {
          menu.hidden = !menu.hidden;
        },
      },
    },
    "⋯",
  );
  return h("div", { class: "member-moderation" }, toggle, menu);
}
