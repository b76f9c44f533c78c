// Entry point: session handling and routing between the login page and the signed-in shell.

import "./style.css";
import { activities } from "./activities";
import { ApiError, api, setUnauthorizedHandler } from "./api";
import { chat } from "./chat";
import { h, replaceChildren } from "./dom";
import { notifications } from "./notifications";
import { myPayments } from "./payments";
import { navigate, parseRoute, type Route } from "./router";
import { clearToken, getToken, peekResumeRoute, setResumeRoute, setToken, takeResumeRoute } from "./session";
import { store } from "./store";
import type { AuthResult } from "./types";
import { activityView } from "./views/activity";
import "./views/activityCard"; // registers the "activity" card renderer
import "./views/paymentCard"; // registers the "payment" card renderer
import "./views/inviteCard"; // registers the "invite" card renderer
import "./views/announcementCard"; // registers the "announcement" card renderer
import { resetCardPaymentPanels } from "./views/paymentPanel";
import { editActivityView, newActivityView } from "./views/activityForm";
import { circleActivitiesView, myActivitiesView } from "./views/activityList";
import { circlePageView } from "./views/circlePage";
import { circlePostsView } from "./views/posts";
import { installProfileLinks, profileView } from "./views/profile";
import { editProfileView } from "./views/profileEdit";
import { chatView } from "./views/chat";
import { checkinView } from "./views/checkin";
import { paymentCheckoutView } from "./views/paymentCheckout";
import { exploreView } from "./views/explore";
import { joinView } from "./views/join";
import { loginView, type PendingInvite } from "./views/login";
import { newCircleView } from "./views/newCircle";
import { adminVerificationsView } from "./views/adminVerifications";
import { circleSettingsView } from "./views/circleSettings";
import { reportsQueueView } from "./views/reportsQueue";
import { blocked } from "./views/blocks";
import { installPostReports } from "./views/reportsMenu";
import { consoleActivityView } from "./views/consoleActivity";
import { consoleRevenueView } from "./views/consoleRevenue";
import { consoleReportView } from "./views/consoleReport";
import { consolePeopleView } from "./views/consolePeople";
import { verificationView } from "./views/verification";
import { shellView, type Shell } from "./views/shell";
import type { View } from "./views/view";

const root = document.getElementById("app") as HTMLElement;
installProfileLinks(); // names and avatars in the chat open profiles
installPostReports(); // "Report" on others' posts in a circle's posts view
let shell: Shell | null = null;
/** A message for the next login page (e.g. why the session ended). */
let flash: string | null = null;

function viewFor(route: Route): View {
  switch (route.name) {
    case "conversation":
      return chatView(route.id);
    case "new":
      return newCircleView();
    case "join":
      return joinView(route.circleId, route.invite);
    case "activity":
      if (route.tab === "edit") return editActivityView(route.id);
      if (route.tab === "checkin") return checkinView(route.id);
      if (route.tab === "report") return consoleActivityView(route.id);
      return activityView(route.id);
    case "pay":
      return paymentCheckoutView(route.id);
    case "circleActivities":
      return circleActivitiesView(route.circleId, route.when);
    case "circlePage":
      return circlePageView(route.circleId);
    case "newActivity":
      return newActivityView(route.circleId);
    case "myActivities":
      return myActivitiesView(route.when);
    case "circlePosts":
      return circlePostsView(route.circleId);
    case "user":
      return profileView(route.id);
    case "editProfile":
      return editProfileView();
    case "circleSettings":
      return circleSettingsView(route.circleId);
    case "circleReports":
      return reportsQueueView(route.circleId);
    case "circleRevenue":
      return consoleRevenueView(route.circleId);
    case "circleReport":
      return consoleReportView(route.circleId, route.report);
    case "circlePeople":
      return consolePeopleView(route.circleId, route.filter);
    case "verification":
      return verificationView();
    case "adminVerifications":
      return adminVerificationsView();
    default:
      return exploreView();
  }
}

function render(): void {
  const route = parseRoute(window.location.hash);
  if (!getToken() || !store.me) {
    // Links worth coming back to after signing in: invites, activities, circle pages and
    // conversations (e.g. from a notification or a shared link).
    const resumable = ["join", "activity", "pay", "conversation", "circlePage"];
    if (resumable.includes(route.name)) {
      setResumeRoute(window.location.hash);
    }
    if (route.name !== "login") {
      navigate("#/login");
      return;
    }
    shell?.dispose?.();
    shell = null;
    const invited = pendingInvite();
    const inviteKey = invited ? `${invited.circleId}?${invited.invite ?? ""}` : "";
    const showing = root.querySelector<HTMLElement>('[data-testid="login-view"]');
    if (showing && !flash && (showing.dataset.invite ?? "") === inviteKey) return; // already showing
    const view = loginView(signedIn, flash, invited);
    view.dataset.invite = inviteKey;
    replaceChildren(root, view);
    flash = null;
    return;
  }
  if (route.name === "login") {
    navigate("#/");
    return;
  }
  if (!shell) {
    shell = shellView(() => void signOut());
    replaceChildren(root, shell.el);
  }
  shell.show(viewFor(route));
}

/** The invite link a signed-out visitor came from (kept to be joined after signing in). */
function pendingInvite(): PendingInvite | null {
  const resume = peekResumeRoute();
  const route = resume ? parseRoute(resume) : null;
  return route?.name === "join" ? { circleId: route.circleId, invite: route.invite } : null;
}

function startSession(token: string): void {
  store.notify("me");
  chat.start(token, {
    onUnauthorized: () => endSession("Your session has ended. Please sign in again."),
    onConversationGone: (id) => {
      if (store.activeId === id) navigate("#/explore");
    },
  });
}

function signedIn(result: AuthResult): void {
  setToken(result.token);
  store.me = result.user;
  startSession(result.token);
  navigate(takeResumeRoute() ?? "#/");
}

async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // The token is dropped locally whatever the server said.
  }
  endSession(null);
}

function endSession(message: string | null): void {
  chat.stop();
  clearToken();
  store.reset();
  activities.reset();
  myPayments.reset();
  resetCardPaymentPanels();
  notifications.reset();
  blocked.reset();
  shell?.dispose?.();
  shell = null;
  flash = message;
  navigate("#/login");
}

async function boot(): Promise<void> {
  const token = getToken();
  if (token) {
    try {
      store.me = (await api.me()).user;
      startSession(token);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        showUnreachable();
        return;
      }
      clearToken();
      store.me = null;
    }
  }
  render();
}

function showUnreachable(): void {
  replaceChildren(
    root,
    h(
      "main",
      { class: "auth-page", testid: "unreachable" },
      h(
        "div",
        { class: "auth-card" },
        h("h1", {}, "Cannot reach Circles"),
        h("p", { class: "muted" }, "The server is not answering. Check your connection."),
        h("button", { class: "primary", on: { click: () => void boot() } }, "Try again"),
      ),
    ),
  );
}

// Debug/test hook: lets a test drop the connection the way a network failure would.
(window as unknown as { circles: object }).circles = {
  dropConnection: () => chat.dropConnection(),
  store,
};

setUnauthorizedHandler(() => endSession("Your session has ended. Please sign in again."));
window.addEventListener("hashchange", render);
document.addEventListener("visibilitychange", () => {
  if (store.activeId) chat.markRead(store.activeId);
});
window.addEventListener("focus", () => {
  if (store.activeId) chat.markRead(store.activeId);
});
root.append(h("p", { class: "muted center" }, "Loading…"));
void boot();
