// A member's profile (#/user/<id>): avatar, name, handle, city, bio, interests, the circles they
// joined (public ones only, unless it is you), the activities they attended (if they chose to
// show them), their posts, and a "Message" button that opens a DM. Names and avatars in the chat
// lead here (installProfileLinks).

import { describeError } from "../api";
import { chat } from "../chat";
import { h, replaceChildren, userText } from "../dom";
import { formatWhen } from "../format";
import { activityHash, circlePageHash, conversationHash, navigate } from "../router";
import { blockRefusalText } from "./blocks";
import { circlePostsHash, feedList } from "./posts";
import { profiles, posts, type Profile } from "./postsApi";
import { avatarNode, userHash } from "./postsItem";
import { blockButton } from "./reportsMember";
import type { View } from "./view";

export { userHash };

export function editProfileHash(): string {
  return "#/me/profile";
}

export function profileView(userId: string): View {
  const head = h("header", { class: "pane-header profile-head", testid: "profile-head" }, h("h1", {}, "Loading…"));
  const error = h("p", { class: "error", testid: "profile-error", attrs: { role: "alert" } });
  const blockStatus = h("p", { class: "muted", testid: "profile-block-status", attrs: { role: "status" } });
  let name = "this person";
  const about = h("div", { class: "profile-about" });
  const feed = feedList((cursor) => posts.memberFeed(userId, cursor));
  const el = h(
    "section",
    { class: "pane profile", testid: "profile", dataset: { userId } },
    head,
    error,
    blockStatus,
    about,
    h("h2", {}, "Posts"),
    feed.el,
  );

  async function load(): Promise<void> {
    try {
      const { profile } = await profiles.get(userId);
      draw(profile);
    } catch (err) {
      error.textContent = describeError(err);
    }
  }

  function draw(p: Profile): void {
    const u = p.user;
    name = u.display_name;
    replaceChildren(
      head,
      avatarNode({ display_name: u.display_name, avatar_url: p.avatar ? p.avatar.url : null }, "large"),
      h("div", { class: "profile-names" }, h("h1", { testid: "profile-name" }, userText(u.display_name)), h("span", { class: "muted", testid: "profile-handle" }, `@${u.handle}`)),
      p.can_message
        ? h("button", { class: "primary", testid: "profile-message", attrs: { type: "button" }, on: { click: () => message(u.id) } }, "Message")
        : null,
      p.is_me ? h("a", { class: "button", testid: "profile-edit", attrs: { href: editProfileHash() } }, "Edit profile") : null,
      // Block or unblock (no DMs either way; their circle messages collapsed for you).
      p.is_me ? null : blockButton(u.id, u.display_name, blockStatus, "profile-block"),
    );
    replaceChildren(
      about,
      p.city ? h("p", { testid: "profile-city" }, "📍 ", userText(p.city)) : null,
      p.bio ? h("p", { class: "profile-bio", testid: "profile-bio", attrs: { dir: "auto" } }, userText(p.bio)) : null,
      p.interests.length ? h("ul", { class: "chips", testid: "profile-interests" }, ...p.interests.map((t) => h("li", { class: "chip" }, `#${t}`))) : null,
      h("h2", {}, "Circles"),
      p.circles.length
        ? h(
            "ul",
            { class: "profile-circles", testid: "profile-circles" },
            ...p.circles.map((c) =>
              h(
                "li",
                {},
                h("a", { attrs: { href: circlePageHash(c.id) } }, userText(c.name)),
                c.role === "member" ? null : h("span", { class: "muted" }, ` (${c.role})`),
                " · ",
                h("a", { class: "muted", attrs: { href: circlePostsHash(c.id) } }, "posts"),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No circles to show."),
      p.attended
        ? h(
            "div",
            { testid: "profile-attended" },
            h("h2", {}, "Attended"),
            p.attended.length
              ? h("ul", {}, ...p.attended.map((a) => h("li", {}, h("a", { attrs: { href: activityHash(a.id) } }, userText(a.title)), " ", h("span", { class: "muted" }, formatWhen(a.starts_at)))))
              : h("p", { class: "muted" }, "None yet."),
          )
        : null,
    );
  }

  async function message(id: string): Promise<void> {
    try {
      navigate(conversationHash(await chat.openDm(id)));
    } catch (err) {
      error.textContent = blockRefusalText(err, name) ?? describeError(err);
    }
  }

  void load();
  void feed.reload();
  return { el };
}

let installed = false;

/** A click on a sender's name or avatar in the chat opens their profile. Delegated from the
 * document, so the message rendering (views/messageItem.ts) needs no change: it already carries
 * the sender's id on each message. */
export function installProfileLinks(): void {
  if (installed) return;
  installed = true;
  document.addEventListener("click", (ev) => {
    const target = ev.target as Element | null;
    const hit = target?.closest('[data-testid="message-sender"], li[data-testid="message"] > .avatar');
    const senderId = hit?.closest<HTMLElement>('li[data-testid="message"]')?.dataset.senderId;
    if (!hit || !senderId) return;
    ev.stopPropagation();
    navigate(userHash(senderId));
  }, true);
}
