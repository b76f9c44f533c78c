// Sign in / register. On success the token is stored and `onSignedIn` takes over.

import { api, describeError } from "../api";
import { h } from "../dom";
import type { AuthResult } from "../types";

export function loginView(
  onSignedIn: (result: AuthResult) => void,
  notice: string | null = null,
): HTMLElement {
  let mode: "login" | "register" = "login";

  const handle = h("input", {
    testid: "login-handle",
    attrs: { name: "handle", autocomplete: "username", required: true, placeholder: "handle" },
  });
  const password = h("input", {
    testid: "login-password",
    attrs: { name: "password", type: "password", required: true, placeholder: "password" },
  });
  const displayName = h("input", {
    testid: "login-display-name",
    attrs: { name: "display_name", autocomplete: "nickname", placeholder: "display name" },
  });
  const nameRow = h("label", { class: "field" }, "Display name", displayName);
  const error = h("p", { class: "error", testid: "auth-error", attrs: { role: "alert" } });
  const submit = h("button", { class: "primary", testid: "login-submit", attrs: { type: "submit" } });
  const title = h("h1", {});
  const toggle = h("button", {
    class: "link",
    testid: "auth-toggle",
    attrs: { type: "button" },
    on: { click: () => setMode(mode === "login" ? "register" : "login") },
  });

  function setMode(next: "login" | "register"): void {
    mode = next;
    const registering = mode === "register";
    title.textContent = registering ? "Create your account" : "Sign in to Circles";
    submit.textContent = registering ? "Create account" : "Sign in";
    toggle.textContent = registering ? "I already have an account" : "Create an account";
    nameRow.hidden = !registering;
    displayName.required = registering;
    password.setAttribute("autocomplete", registering ? "new-password" : "current-password");
    error.textContent = "";
  }

  const form = h(
    "form",
    {
      class: "auth-card",
      testid: "auth-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          error.textContent = "";
          submit.disabled = true;
          try {
            const name = handle.value.trim().toLowerCase();
            const result =
              mode === "register"
                ? await api.register(name, password.value, displayName.value.trim())
                : await api.login(name, password.value);
            onSignedIn(result);
          } catch (err) {
            error.textContent = describeError(err);
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    h("div", { class: "brand" }, h("span", { class: "logo" }, "◯"), "Circles"),
    title,
    h("label", { class: "field" }, "Handle", handle),
    h("label", { class: "field" }, "Password", password),
    nameRow,
    error,
    submit,
    toggle,
  );
  setMode("login");
  if (notice) error.textContent = notice;
  return h("main", { class: "auth-page", testid: "login-view" }, form);
}
