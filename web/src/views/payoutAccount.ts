// A circle's payout account (`/api/circles/{id}/payout-account`): the owner sets an IBAN or a
// payment-platform handle; the owner and admins see it masked ("DE•• •••• 3000"). The full
// number is never sent back by the server, so it is never shown.

import { ApiError, describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { moderationApi, type PayoutAccount, type PayoutAccountIn } from "./moderationApi";
import type { View } from "./view";

const PLATFORMS = ["paypal", "wise", "revolut", "stripe"] as const;

export function payoutAccountView(circleId: string, owner: boolean): View {
  const current = h("p", { testid: "payout-current" });
  const error = h("p", { class: "error", testid: "payout-error", attrs: { role: "alert" } });
  const holder = h("input", { testid: "payout-holder", attrs: { type: "text", required: true, minlength: 2, maxlength: 120 } });
  const method = h(
    "select",
    { testid: "payout-method" },
    h("option", { attrs: { value: "iban" } }, "Bank account (IBAN)"),
    ...PLATFORMS.map((p) => h("option", { attrs: { value: p } }, p[0].toUpperCase() + p.slice(1))),
  );
  const number = h("input", { testid: "payout-number", attrs: { type: "text", autocomplete: "off", required: true } });
  const numberLabel = h("span", {}, "IBAN");
  method.addEventListener("change", () => {
    numberLabel.textContent = method.value === "iban" ? "IBAN" : "Handle (e-mail or username)";
  });

  function show(account: PayoutAccount | null): void {
    replaceChildren(
      current,
      account
        ? `${account.holder_name} · ${account.method === "iban" ? "IBAN" : (account.platform ?? "")} ${account.masked}`
        : "No payout account yet: paid activities cannot be published until there is one.",
    );
    current.dataset.state = account ? "set" : "none";
  }

  async function load(): Promise<void> {
    try {
      show((await moderationApi.payoutAccount(circleId)).payout_account);
    } catch (err) {
      if (err instanceof ApiError && err.code === "not_found") show(null);
      else current.textContent = describeError(err);
    }
  }

  const form = h(
    "form",
    {
      class: "stack",
      testid: "payout-form",
      on: {
        submit: async (ev: Event) => {
          ev.preventDefault();
          error.textContent = "";
          const body: PayoutAccountIn =
            method.value === "iban"
              ? { holder_name: holder.value.trim(), iban: number.value.trim() }
              : {
                  holder_name: holder.value.trim(),
                  platform: method.value as (typeof PLATFORMS)[number],
                  handle: number.value.trim(),
                };
          try {
            show((await moderationApi.setPayoutAccount(circleId, body)).payout_account);
            number.value = "";
          } catch (err) {
            error.textContent = describeError(err);
          }
        },
      },
    },
    h("label", {}, "Account holder (legal name)", holder),
    h("label", {}, "Paid to", method),
    h("label", {}, numberLabel, number),
    h("button", { class: "primary", testid: "payout-save", attrs: { type: "submit" } }, "Save payout account"),
    error,
  );

  void load();
  return {
    el: h(
      "section",
      { class: "payout-account", testid: "payout-account" },
      h("h2", {}, "Payout account"),
      current,
      owner ? form : h("p", { class: "muted" }, "Only the circle's owner can change it."),
    ),
  };
}
