// One circle post as the circle's posts view and a member's profile show it: author (a link to
// their profile), text, tags, images (fetched with the token as blob: URLs), the linked
// activity, a like button with its count, and the comments (loaded when opened, paged).

import "./posts.css";
import { describeError } from "../api";
import { formatWhen } from "../format";
import { h, initials, linkified, replaceChildren, userText } from "../dom";
import { activityHash } from "../router";
import { blobUrl } from "../upload";
import { posts, type Post, type PostComment } from "./postsApi";

export function userHash(userId: string): string {
  return `#/user/${encodeURIComponent(userId)}`;
}

/** An avatar: the user's picture (its thumbnail) when they have one, else their initials. */
export function avatarNode(user: { display_name: string; avatar_url?: string | null } | null, size = "small"): HTMLElement {
  const name = user?.display_name ?? "?";
  const el = h("span", { class: `avatar ${size}`, testid: "avatar", attrs: { "aria-hidden": "true" } }, initials(name));
  if (user?.avatar_url) {
    blobUrl(`${user.avatar_url}/thumbnail`)
      .then((url) => replaceChildren(el, h("img", { class: "avatar-img", attrs: { src: url, alt: "" } })))
      .catch(() => undefined);
  }
  return el;
}

export function postItem(post: Post, onGone: () => void): HTMLElement {
  const error = h("p", { class: "error", testid: "post-error", attrs: { role: "alert" } });
  const likeCount = h("span", { testid: "post-like-count" }, String(post.like_count));
  const likeButton = h(
    "button",
    {
      class: `link post-like${post.liked_by_me ? " on" : ""}`,
      testid: "post-like",
      attrs: { type: "button", "aria-pressed": String(post.liked_by_me) },
      on: { click: () => toggleLike() },
    },
    "♥ ",
    likeCount,
  );
  const commentCount = h("span", { testid: "post-comment-count" }, String(post.comment_count));
  const comments = h("div", { class: "post-comments", testid: "post-comments", attrs: { hidden: true } });
  const author = post.author;
  const el = h(
    "article",
    { class: "post", testid: "post", dataset: { postId: post.id } },
    h(
      "header",
      { class: "post-head" },
      h(
        "a",
        { class: "post-author", testid: "post-author", attrs: { href: author ? userHash(author.id) : "#/" } },
        avatarNode(author),
        userText(author?.display_name ?? "Deleted account", "post-author-name"),
      ),
      h("time", { class: "muted", attrs: { datetime: post.created_at } }, formatWhen(post.created_at)),
      post.can_delete
        ? h("button", { class: "link danger", testid: "post-delete", attrs: { type: "button" }, on: { click: () => remove() } }, "Delete")
        : null,
    ),
    post.text ? h("div", { class: "post-text", testid: "post-text", attrs: { dir: "auto" } }, ...linkified(post.text)) : null,
    post.tags.length
      ? h("ul", { class: "chips post-tags", testid: "post-tags" }, ...post.tags.map((t) => h("li", { class: "chip", testid: "post-tag" }, `#${t}`)))
      : null,
    post.images.length ? h("div", { class: "post-images", testid: "post-images" }, ...post.images.map(imageNode)) : null,
    post.activity
      ? h("a", { class: "post-activity", testid: "post-activity", attrs: { href: activityHash(post.activity.id) } }, "↪ ", userText(post.activity.title))
      : null,
    h(
      "footer",
      { class: "post-actions" },
      likeButton,
      h("button", { class: "link", testid: "post-comments-toggle", attrs: { type: "button" }, on: { click: () => toggleComments() } }, "Comments ", commentCount),
    ),
    comments,
    error,
  );

  async function toggleLike(): Promise<void> {
    const on = likeButton.getAttribute("aria-pressed") !== "true";
    try {
      const out = await posts.like(post.id, on);
      likeButton.setAttribute("aria-pressed", String(out.liked_by_me));
      likeButton.classList.toggle("on", out.liked_by_me);
      likeCount.textContent = String(out.like_count);
      error.textContent = "";
    } catch (err) {
      error.textContent = describeError(err);
    }
  }

  async function remove(): Promise<void> {
    if (!window.confirm("Delete this post?")) return;
    try {
      await posts.remove(post.id);
      el.remove();
      onGone();
    } catch (err) {
      error.textContent = describeError(err);
    }
  }

  function toggleComments(): void {
    comments.hidden = !comments.hidden;
    if (!comments.hidden && !comments.childElementCount) void commentsPane(post.id, comments, (n) => (commentCount.textContent = String(n)));
  }

  return el;
}

function imageNode(image: Post["images"][number]): HTMLElement {
  const img = h("img", { class: "post-image", testid: "post-image", attrs: { alt: "", width: image.width ?? undefined, height: image.height ?? undefined } });
  blobUrl(image.thumbnail ?? image.url)
    .then((url) => img.setAttribute("src", url))
    .catch(() => img.classList.add("broken"));
  const open = async (): Promise<void> => {
    window.open(await blobUrl(image.url), "_blank", "noopener");
  };
  return h("button", { class: "post-image-button", attrs: { type: "button", "aria-label": "Open image" }, on: { click: open } }, img);
}

async function commentsPane(postId: string, pane: HTMLElement, onCount: (n: number) => void): Promise<void> {
  const list = h("ul", { class: "comment-list", testid: "comment-list" });
  const more = h("button", { class: "link", testid: "comments-more", attrs: { type: "button", hidden: true } }, "Older comments");
  const input = h("input", { testid: "comment-input", attrs: { type: "text", maxlength: 1000, placeholder: "Write a comment", "aria-label": "Comment" } });
  const error = h("p", { class: "error", attrs: { role: "alert" } });
  const form = h(
    "form",
    {
      class: "comment-form",
      testid: "comment-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const text = input.value.trim();
          if (!text) return;
          try {
            const out = await posts.comment(postId, text);
            input.value = "";
            list.prepend(commentNode(out.comment, postId, onCount));
            onCount(out.comment_count);
            error.textContent = "";
          } catch (err) {
            error.textContent = describeError(err);
          }
        },
      },
    },
    input,
    h("button", { class: "primary", testid: "comment-send", attrs: { type: "submit" } }, "Send"),
  );
  replaceChildren(pane, form, error, list, more);
  let cursor: string | null = null;
  async function load(): Promise<void> {
    try {
      const page = await posts.comments(postId, cursor);
      list.append(...page.comments.map((c) => commentNode(c, postId, onCount)));
      cursor = page.next_cursor;
      more.hidden = cursor === null;
    } catch (err) {
      error.textContent = describeError(err);
    }
  }
  more.addEventListener("click", () => void load());
  await load();
}

function commentNode(c: PostComment, postId: string, onCount: (n: number) => void): HTMLElement {
  const li = h(
    "li",
    { class: "comment", testid: "comment", dataset: { commentId: c.id } },
    h("a", { class: "comment-author", attrs: { href: c.author ? userHash(c.author.id) : "#/" } }, userText(c.author?.display_name ?? "Deleted account", "comment-author")),
    " ",
    h("span", { class: "comment-text", testid: "comment-text", attrs: { dir: "auto" } }, ...linkified(c.text)),
  );
  if (c.can_delete) {
    li.append(
      h(
        "button",
        {
          class: "link danger",
          testid: "comment-delete",
          attrs: { type: "button", "aria-label": "Delete comment" },
          on: {
            click: async () => {
              await posts.removeComment(postId, c.id);
              li.remove();
              onCount((await posts.get(postId)).post.comment_count);
            },
          },
        },
        "×",
      ),
    );
  }
  return li;
}
