// A circle's posts (#/circle/<id>/posts): the feed, newest first with "Older posts", and for
// those who may post a composer: text, tags, images (uploaded as they are picked, with their
// progress) and an optional linked activity of the circle (e.g. a recap). Organisers also
// choose whether members may post.

import { api, describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { circlePageHash } from "../router";
import type { View } from "./view";
import { postItem } from "./postsItem";
import { posts, uploadImage, type CircleFeed, type ImageUpload, type StoredUpload } from "./postsApi";

const MAX_IMAGES = 9;

export function circlePostsHash(circleId: string): string {
  return `#/circle/${encodeURIComponent(circleId)}/posts`;
}

/** A feed list with an "Older posts" button, filled by `load(cursor)`. */
export function feedList(load: (cursor: string | null) => Promise<{ posts: CircleFeed["posts"]; next_cursor: string | null }>): {
  el: HTMLElement;
  reload(): Promise<void>;
} {
  const list = h("div", { class: "post-list", testid: "post-list" });
  const empty = h("p", { class: "muted", testid: "posts-empty", attrs: { hidden: true } }, "No posts yet.");
  const error = h("p", { class: "error", attrs: { role: "alert" } });
  const more = h("button", { class: "link", testid: "posts-more", attrs: { type: "button", hidden: true } }, "Older posts");
  let cursor: string | null = null;
  async function page(first: boolean): Promise<void> {
    try {
      const got = await load(first ? null : cursor);
      if (first) replaceChildren(list);
      list.append(...got.posts.map((p) => postItem(p, () => (empty.hidden = list.childElementCount > 0))));
      cursor = got.next_cursor;
      more.hidden = cursor === null;
      empty.hidden = list.childElementCount > 0;
      error.textContent = "";
    } catch (err) {
      error.textContent = describeError(err);
    }
  }
  more.addEventListener("click", () => void page(false));
  return { el: h("div", { class: "feed" }, error, empty, list, more), reload: () => page(true) };
}

export function circlePostsView(circleId: string): View {
  const title = h("h1", {}, "Posts");
  const composerSlot = h("div", { testid: "post-composer-slot" });
  const settingsSlot = h("div");
  let feed: CircleFeed | null = null;
  const list = feedList(async (cursor) => {
    const got = await posts.circleFeed(circleId, cursor);
    if (cursor === null) {
      feed = got;
      drawComposer();
    }
    return got;
  });
  const el = h(
    "section",
    { class: "pane circle-posts", testid: "circle-posts", dataset: { circleId } },
    h("header", { class: "pane-header" }, title, h("a", { class: "link", attrs: { href: circlePageHash(circleId) } }, "About this circle")),
    settingsSlot,
    composerSlot,
    list.el,
  );

  function drawComposer(): void {
    replaceChildren(composerSlot, feed?.can_post ? composer(circleId, () => void list.reload()) : null);
    void drawSettings();
  }

  async function drawSettings(): Promise<void> {
    try {
      const { circle } = await api.getCircle(circleId);
      title.textContent = `${circle.name}: posts`;
      if (circle.my_role !== "owner" && circle.my_role !== "admin") return;
      const box = h("input", {
        testid: "members-can-post",
        attrs: { type: "checkbox", checked: Boolean(feed?.members_can_post) },
        on: {
          change: async () => {
            await posts.setMembersCanPost(circleId, box.checked);
          },
        },
      });
      replaceChildren(settingsSlot, h("label", { class: "muted" }, box, " Members may post"));
    } catch {
      // the title stays "Posts"; the feed shows its own error
    }
  }

  void list.reload();
  return { el };
}

interface Picked {
  file: File;
  upload: ImageUpload;
  done: StoredUpload | null;
  row: HTMLElement;
}

function composer(circleId: string, onPosted: () => void): HTMLElement {
  const text = h("textarea", { testid: "post-text-input", attrs: { rows: 3, maxlength: 4000, placeholder: "Share an update with the circle", "aria-label": "Post text" } });
  const tags = h("input", { testid: "post-tags-input", attrs: { type: "text", placeholder: "tags, comma separated", "aria-label": "Tags" } });
  const files = h("input", { testid: "post-images-input", attrs: { type: "file", accept: "image/*", multiple: true, "aria-label": "Images" } });
  const activity = h("select", { testid: "post-activity-select", attrs: { "aria-label": "Linked activity" } }, h("option", { attrs: { value: "" } }, "No linked activity"));
  const picked: Picked[] = [];
  const previews = h("ul", { class: "post-uploads", testid: "post-uploads" });
  const error = h("p", { class: "error", testid: "post-composer-error", attrs: { role: "alert" } });
  const submit = h("button", { class: "primary", testid: "post-submit", attrs: { type: "submit" } }, "Post");

  void (async () => {
    try {
      const [past, upcoming] = await Promise.all([api.circleActivities(circleId, "past"), api.circleActivities(circleId, "upcoming")]);
      for (const a of [...past.activities, ...upcoming.activities]) activity.append(h("option", { attrs: { value: a.id } }, a.title));
    } catch {
      // no activities to link: the select keeps its one option
    }
  })();

  files.addEventListener("change", () => {
    for (const file of Array.from(files.files ?? [])) {
      if (picked.length >= MAX_IMAGES) break;
      const bar = h("progress", { testid: "post-upload-progress", attrs: { max: 1, value: 0 } });
      const row = h("li", { class: "post-upload", testid: "post-upload" }, file.name, " ", bar);
      const entry: Picked = { file, upload: uploadImage(file, { circle_id: circleId }, (f) => (bar.value = f)), done: null, row };
      picked.push(entry);
      previews.append(row);
      entry.upload.promise
        .then((stored) => {
          entry.done = stored;
          row.dataset.state = "done";
        })
        .catch((err: unknown) => {
          row.dataset.state = "failed";
          error.textContent = err instanceof Error ? err.message : String(err);
        });
    }
    files.value = "";
  });

  const form = h(
    "form",
    {
      class: "post-composer",
      testid: "post-composer",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          submit.disabled = true;
          try {
            const uploads = await Promise.all(picked.map((p) => p.upload.promise));
            await posts.publish(circleId, {
              text: text.value,
              tags: tags.value.split(/[\s,]+/).map((t) => t.trim().toLowerCase().replace(/^#/, "")).filter(Boolean),
              images: uploads.map((u) => u.id),
              activity_id: activity.value || null,
            });
            text.value = "";
            tags.value = "";
            activity.value = "";
            picked.length = 0;
            replaceChildren(previews);
            error.textContent = "";
            onPosted();
          } catch (err) {
            error.textContent = describeError(err);
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    text,
    h("div", { class: "post-composer-row" }, tags, activity),
    h("div", { class: "post-composer-row" }, files, submit),
    previews,
    error,
  );
  return form;
}
