// The share sheet of the activity page and the circle page: copy the share link, download the
// poster (phone or A4, PNG or SVG), the browser's own share (`navigator.share`) where it has
// one, and, for an activity where you hold a seat, your "I'm going" link. An activity's links
// are the server's (GET /api/activities/{id}/share, with your handle as `ref`); it is asked
// when the sheet is first opened and again when your seat changes. A private circle's share
// pages show outsiders only "ask for an invite", so the sheet says so and offers no poster.

import { describeError } from "../api";
import { shareLinks, type ShareLinks } from "../discoverApi";
import { circleShareLinks, posterFileName, posterVariant, type PosterFormat, type PosterSize } from "../discoverShare";
import { h, replaceChildren } from "../dom";
import { store } from "../store";
import type { View } from "./view";

const POSTERS: Array<[PosterSize, PosterFormat, string]> = [
  ["phone", "png", "Phone · PNG"],
  ["phone", "svg", "Phone · SVG"],
  ["a4", "png", "A4 · PNG"],
  ["a4", "svg", "A4 · SVG"],
];

interface Links {
  page: string;
  poster: string;
  going: string | null;
}

export interface ShareSheet extends View {
  /** Your seat changed (the going link comes and goes with it): ask again when shown. */
  seatChanged(seated: boolean): void;
  setPrivate(isPrivate: boolean): void;
}

/** Copy text to the clipboard; the selected field is the fallback where the API is missing. */
async function copyText(text: string, field: HTMLInputElement): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission, not focused): fall back to the selected field
  }
  field.focus();
  field.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function linkRow(label: string, url: string, testid: string, title: string): HTMLElement {
  const field = h("input", { class: "share-url", testid: `${testid}-url`, attrs: { type: "text", readonly: true, value: url, "aria-label": label } });
  field.value = url;
  const note = h("span", { class: "muted", testid: `${testid}-status`, attrs: { role: "status" } });
  const copy = h(
    "button",
    {
      testid: `${testid}-copy`,
      attrs: { type: "button" },
      on: {
        click: async () => {
          const ok = await copyText(url, field);
          note.textContent = ok ? "Copied" : "Select the link and copy it";
          note.dataset.state = ok ? "copied" : "failed";
        },
      },
    },
    "Copy link",
  );
  const canShare = typeof navigator.share === "function";
  const native = canShare
    ? h(
        "button",
        {
          testid: `${testid}-native`,
          attrs: { type: "button" },
          on: {
            click: async () => {
              try {
                await navigator.share({ title, url });
              } catch (err) {
                // Closing the browser's sheet is not an error worth showing.
                if (!(err instanceof DOMException && err.name === "AbortError")) note.textContent = "Could not share";
              }
            },
          },
        },
        "Share…",
      )
    : null;
  return h("div", { class: "share-row", testid }, h("label", {}, label), h("div", { class: "share-line" }, field, copy, native), note);
}

function sheet(load: () => Promise<Links>, title: () => string, testid: string): ShareSheet {
  const body = h("div", { class: "share-body", testid: "share-body" });
  const details = h(
    "details",
    { class: "share-sheet", testid },
    h("summary", { class: "button", testid: "share-open" }, "Share"),
    body,
  );
  let links: Links | null = null;
  let stale = true;
  let loading = false;
  let isPrivate = false;
  let seated: boolean | null = null;

  async function refresh(): Promise<void> {
    if (loading) return;
    loading = true;
    stale = false;
    if (!links) replaceChildren(body, h("p", { class: "muted" }, "Loading…"));
    try {
      links = await load();
      draw();
    } catch (err) {
      replaceChildren(body, h("p", { class: "error", testid: "share-error" }, describeError(err)));
    } finally {
      loading = false;
      if (stale && details.open) void refresh();
    }
  }

  function draw(): void {
    if (!links) return;
    const name = title();
    details.dataset.loaded = "true";
    details.dataset.going = links.going ? "true" : "false";
    const posters = isPrivate
      ? null
      : h(
          "div",
          { class: "share-row", testid: "share-posters" },
          h("label", {}, "Poster with a QR code"),
          h(
            "div",
            { class: "share-line" },
            ...POSTERS.map(([size, format, label]) => {
              const href = posterVariant(links?.poster ?? "", size, format);
              return href
                ? h(
                    "a",
                    {
                      class: "button",
                      testid: "share-poster",
                      dataset: { size, format },
                      attrs: { href, download: posterFileName(name, size, format), rel: "noopener" },
                    },
                    label,
                  )
                : null;
            }),
          ),
        );
    replaceChildren(
      body,
      isPrivate
        ? h(
            "p",
            { class: "muted", testid: "share-private" },
            "This circle is private: people outside it see only “ask for an invite”. Invite them from the circle instead.",
          )
        : null,
      linkRow("Link", links.page, "share-link", name),
      links.going ? linkRow("“I'm going”", links.going, "share-going", `I'm going: ${name}`) : null,
      posters,
    );
  }

  details.addEventListener("toggle", () => {
    if (details.open && (stale || !links)) void refresh();
  });

  return {
    el: details,
    seatChanged(now: boolean): void {
      if (seated === now) return;
      const first = seated === null;
      seated = now;
      if (first && !links) return;
      stale = true;
      if (details.open) void refresh();
    },
    setPrivate(p: boolean): void {
      if (isPrivate === p) return;
      isPrivate = p;
      draw();
    },
  };
}

/** The share sheet of an activity: its page, your "I'm going" while you hold a seat, posters. */
export function activityShareSheet(activityId: string, title: () => string): ShareSheet {
  return sheet(
    async () => {
      const l: ShareLinks = await shareLinks(activityId);
      return { page: l.activity, poster: l.poster_png, going: l.going };
    },
    title,
    "share-sheet",
  );
}

/** The share sheet of a circle: its page and poster, crediting you as the sharer. */
export function circleShareSheet(circleId: string, name: () => string, isPrivate: boolean): ShareSheet {
  const s = sheet(
    () => {
      const l = circleShareLinks(window.location.origin, circleId, store.me?.handle ?? null);
      return Promise.resolve({ page: l.page, poster: l.poster, going: null });
    },
    name,
    "share-sheet",
  );
  s.setPrivate(isPrivate);
  return s;
}
