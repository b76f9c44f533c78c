// The signed-in layout: top bar, sidebar of conversations, and the main pane the router fills.

import { h, replaceChildren, userText } from "../dom";
import { store } from "../store";
import { notificationsBell } from "./notificationsPanel";
import { sidebarView } from "./sidebar";
import type { View } from "./view";

const CONN_LABEL = { online: "Connected", connecting: "Connecting…", offline: "Offline" } as const;

export interface Shell extends View {
  show(view: View): void;
}

export function shellView(onLogout: () => void): Shell {
  const sidebar = sidebarView();
  const bell = notificationsBell();
  const main = h("main", { class: "main", testid: "main-pane" });
  const conn = h("span", { class: "conn", testid: "conn-status", attrs: { role: "status" } });
  const meName = h("span", { class: "me" });
  const toggle: HTMLButtonElement = h(
    "button",
    {
      class: "sidebar-toggle",
      testid: "sidebar-toggle",
      attrs: { type: "button", "aria-label": "Show conversations" },
      on: {
        click: () => {
          el.classList.toggle("sidebar-open");
        },
      },
    },
    "☰",
  );
  const el = h(
    "div",
    { class: "shell", testid: "app-shell" },
    h(
      "header",
      { class: "topbar" },
      toggle,
      h("a", { class: "brand", attrs: { href: "#/" } }, h("span", { class: "logo" }, "◯"), "Circles"),
      h("a", { class: "nav-link top-explore", testid: "topbar-explore", attrs: { href: "#/explore" } }, "Explore"),
      h("span", { class: "spacer" }),
      conn,
      bell.el,
      h("a", { class: "nav-link", testid: "verification-link", attrs: { href: "#/me/verification", title: "Organiser verification" } }, "Verification"),
      h("a", { class: "nav-link", testid: "my-profile-link", attrs: { href: "#/me/profile", title: "Edit my profile" } }, meName),
      h("button", { class: "link", testid: "logout-button", attrs: { type: "button" }, on: { click: onLogout } }, "Sign out"),
    ),
    h("div", { class: "layout" }, sidebar.el, main),
  );

  let current: View | null = null;

  function renderConn(): void {
    conn.textContent = CONN_LABEL[store.conn];
    conn.dataset.state = store.conn;
    conn.className = `conn ${store.conn}`;
  }

  function renderMe(): void {
    replaceChildren(meName, store.me ? userText(store.me.display_name, "me-name") : null);
  }

  const unsubs = [store.subscribe("conn", renderConn), store.subscribe("me", renderMe)];
  renderConn();
  renderMe();

  return {
    el,
    show(view: View): void {
      current?.dispose?.();
      current = view;
      replaceChildren(main, view.el);
      el.classList.remove("sidebar-open");
      for (const link of el.querySelectorAll<HTMLAnchorElement>(".nav-link")) {
        link.classList.toggle("active", link.getAttribute("href") === window.location.hash);
      }
      store.notify("conversations");
    },
    dispose(): void {
      current?.dispose?.();
      sidebar.dispose?.();
      bell.dispose?.();
      unsubs.forEach((u) => u());
    },
  };
}
