// Sign in / register. On success the token is stored and `onSignedIn` takes over.
//
// Registration states its rules up front (under each field) and checks them before sending; a
// refusal names the field and the rule in words, whether it comes from that check or from the
// server (`invalid` with `details.fields`, `conflict`/`handle_taken`). An invite link opened while
// signed out says which circle it is for (`POST /api/circles/{id}/invite-preview`).

import { ApiError, api, describeError } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { captureReferral } from "../referral";
import { peekResumeRoute } from "../session";
import type { AuthResult } from "../types";

/** The invite link the visitor came from, to be joined once signed in. */
export interface PendingInvite {
  circleId: string;
  invite: string | null;
}

/** The server's rules (docs/protocol.md, Accounts), in words, per field. */
export const RULES = {
  handle: "Handle: 3–32 characters, only lowercase letters a–z, digits 0–9 and _.",
  password: "Password: at least 8 characters (at most 256), not only spaces.",
  display_name: "Display name: 1–64 characters, the name others see.",
} as const;

type RuleField = keyof typeof RULES;

const HANDLE_RE = /^[a-z0-9_]{3,32}$/;

/** The first rule the form's values break, or null. */
function brokenRule(handle: string, password: string, displayName: string): RuleField | null {
  if (!HANDLE_RE.test(handle)) return "handle";
  if (password.length < 8 || password.length > 256 || password.trim() === "") return "password";
  const name = displayName.trim();
  if (name.length < 1 || name.length > 64) return "display_name";
  return null;
}

/** A registration refusal from the server, naming the field(s) and the rule(s). */
function registerError(err: unknown): { text: string; fields: RuleField[] } {
  if (err instanceof ApiError && err.code === "conflict" && err.details?.reason === "handle_taken") {
    return { text: "Handle: that handle is taken. Choose another one.", fields: ["handle"] };
  }
  const fields = err instanceof ApiError ? err.details?.fields : undefined;
  if (err instanceof ApiError && err.code === "invalid" && fields && typeof fields === "object") {
    const named = Object.keys(fields).filter((f): f is RuleField => f in RULES);
    if (named.length > 0) return { text: named.map((f) => RULES[f]).join(" "), fields: named };
  }
  return { text: describeError(err), fields: [] };
}

export function loginView(
  onSignedIn: (result: AuthResult) => void,
  notice: string | null = null,
  invited: PendingInvite | null = null,
): HTMLElement {
  // A share link's sharer and channel, kept through the login and a registration (referral.ts).
  captureReferral(peekResumeRoute());
  let mode: "login" | "register" = "login";

  const hint = (field: RuleField) =>
    h("small", { class: "muted field-rule", testid: `rule-${field.replace("_", "-")}`, attrs: { id: `rule-${field}` } }, RULES[field]);
  const handleRule = hint("handle");
  const passwordRule = hint("password");
  const handle = h("input", {
    testid: "login-handle",
    attrs: { name: "handle", autocomplete: "username", required: true, placeholder: "handle", autocapitalize: "none", spellcheck: "false" },
  });
  const password = h("input", {
    testid: "login-password",
    attrs: { name: "password", type: "password", required: true, placeholder: "password" },
  });
  const displayName = h("input", {
    testid: "login-display-name",
    attrs: { name: "display_name", autocomplete: "nickname", placeholder: "display name", maxlength: 64, "aria-describedby": "rule-display_name" },
  });
  const inputs: Record<RuleField, HTMLInputElement> = { handle, password, display_name: displayName };
  const nameRow = h("label", { class: "field" }, "Display name", displayName, hint("display_name"));
  const error = h("p", { class: "error", testid: "auth-error", attrs: { role: "alert" } });
  const submit = h("button", { class: "primary", testid: "login-submit", attrs: { type: "submit" } });
  const title = h("h1", {});
  const toggle = h("button", {
    class: "link",
    testid: "auth-toggle",
    attrs: { type: "button" },
    on: { click: () => setMode(mode === "login" ? "register" : "login") },
  });

  function markInvalid(fields: RuleField[]): void {
    for (const [name, el] of Object.entries(inputs) as Array<[RuleField, HTMLInputElement]>) {
      if (fields.includes(name)) el.setAttribute("aria-invalid", "true");
      else el.removeAttribute("aria-invalid");
    }
    if (fields[0]) inputs[fields[0]].focus();
  }

  function setMode(next: "login" | "register"): void {
    mode = next;
    const registering = mode === "register";
    title.textContent = registering ? "Create your account" : "Sign in to Circles";
    submit.textContent = registering ? "Create account" : "Sign in";
    toggle.textContent = registering ? "I already have an account" : "Create an account";
    nameRow.hidden = !registering;
    handleRule.hidden = !registering;
    passwordRule.hidden = !registering;
    displayName.required = registering;
    // The rules apply to new accounts; signing in takes whatever was registered.
    for (const [el, rule] of [
      [handle, "rule-handle"],
      [password, "rule-password"],
    ] as const) {
      if (registering) el.setAttribute("aria-describedby", rule);
      else el.removeAttribute("aria-describedby");
    }
    if (registering) {
      handle.setAttribute("pattern", "[a-z0-9_]{3,32}");
      handle.maxLength = 32;
      password.minLength = 8;
      password.maxLength = 256;
    } else {
      handle.removeAttribute("pattern");
      handle.removeAttribute("maxlength");
      password.removeAttribute("minlength");
      password.removeAttribute("maxlength");
    }
    password.setAttribute("autocomplete", registering ? "new-password" : "current-password");
    error.textContent = "";
    markInvalid([]);
  }

  async function onSubmit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    error.textContent = "";
    markInvalid([]);
    const name = handle.value.trim().toLowerCase();
    if (mode === "login" && (!name || !password.value)) {
      error.textContent = "Enter your handle and your password.";
      markInvalid(!name ? ["handle"] : ["password"]);
      return;
    }
    if (mode === "register") {
      const broken = brokenRule(name, password.value, displayName.value);
      if (broken) {
        error.textContent = RULES[broken];
        markInvalid([broken]);
        return;
      }
    }
    submit.disabled = true;
    try {
      const result =
        mode === "register"
          ? await api.register(name, password.value, displayName.value.trim())
          : await api.login(name, password.value);
      onSignedIn(result);
    } catch (err) {
      if (mode === "register") {
        const { text, fields } = registerError(err);
        error.textContent = text;
        markInvalid(fields);
      } else {
        error.textContent = describeError(err);
      }
    } finally {
      submit.disabled = false;
    }
  }

  const invitation = h("div", { class: "invite-banner", testid: "invite-banner", attrs: { role: "status" } });
  invitation.hidden = true;
  if (invited?.invite) {
    invitation.hidden = false;
    invitation.append(h("span", { class: "muted" }, "Checking your invite…"));
    api
      .invitePreview(invited.circleId, invited.invite)
      .then(({ circle }) => {
        invitation.dataset.state = "valid";
        replaceChildren(
          invitation,
          h("strong", {}, "You've been invited to ", userText(circle.name, "invite-circle-name")),
          h("span", { class: "muted" }, "Sign in or create an account to join."),
        );
      })
      .catch((err) => {
        invitation.dataset.state = "invalid";
        invitation.classList.add("error");
        replaceChildren(
          invitation,
          err instanceof ApiError && err.code === "not_found"
            ? "This invite link is not valid (it may have expired or been mistyped). Ask for a new one."
            : `Could not check the invite: ${describeError(err)}`,
        );
      });
  }

  const form = h(
    "form",
    {
      class: "auth-card",
      testid: "auth-form",
      // The rules are checked here, with a sentence naming the field, not the browser's bubble.
      attrs: { novalidate: true },
      on: { submit: (ev) => void onSubmit(ev) },
    },
    h("div", { class: "brand" }, h("span", { class: "logo" }, "◯"), "Circles"),
    invitation,
    title,
    h("label", { class: "field" }, "Handle", handle, handleRule),
    h("label", { class: "field" }, "Password", password, passwordRule),
    nameRow,
    error,
    submit,
    toggle,
  );
  setMode("login");
  if (notice) error.textContent = notice;
  return h("main", { class: "auth-page", testid: "login-view" }, form);
}
