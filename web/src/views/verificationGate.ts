// Why a paid activity cannot be published (docs/protocol.md "Organiser verification and payout
// details"): the server refuses `forbidden` with `details.reason` `verification_required` or
// `payout_account_required`; the form says so in words and links to the form that fixes it.

import { ApiError } from "../api";
import { h } from "../dom";
import { circleSettingsHash } from "../router";

export function paidGateNotice(err: unknown, circleId: string): HTMLElement | null {
  if (!(err instanceof ApiError) || err.code !== "forbidden") return null;
  const reason = err.details?.reason;
  if (reason === "verification_required") {
    return h(
      "span",
      { testid: "paid-gate", dataset: { reason } },
      "A paid activity needs a verified organiser, and you are not verified yet. ",
      h("a", { testid: "paid-gate-fix", attrs: { href: "#/me/verification" } }, "Get verified"),
      " (or make the activity free).",
    );
  }
  if (reason === "payout_account_required") {
    return h(
      "span",
      { testid: "paid-gate", dataset: { reason } },
      "A paid activity needs a payout account for this circle, so the money has somewhere to go. ",
      h("a", { testid: "paid-gate-fix", attrs: { href: circleSettingsHash(circleId) } }, "Add a payout account"),
      " (the circle's owner can).",
    );
  }
  return null;
}
