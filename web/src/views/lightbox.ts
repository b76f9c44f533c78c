// Attachments on a message: image thumbnails that open a lightbox, other files as download
// links. Bytes are fetched with the bearer token (upload.ts) and shown from blob: URLs.

import { h } from "../dom";
import type { Attachment } from "../chatTypes";
import { attachmentUrl, blobUrl, formatSize } from "../upload";

export function isImage(a: Attachment): boolean {
  return /^image\/(png|jpeg|gif|webp)$/.test(a.content_type);
}

export function attachmentList(attachments: Attachment[]): HTMLElement | null {
  if (attachments.length === 0) return null;
  return h("div", { class: "attachments", testid: "attachments" }, ...attachments.map(attachmentItem));
}

function attachmentItem(a: Attachment): HTMLElement {
  if (isImage(a)) {
    const img = h("img", {
      class: "attachment-thumb",
      testid: "attachment-image",
      attrs: { alt: a.name, width: a.width ?? null, height: a.height ?? null },
    });
    img.hidden = true;
    const button = h(
      "button",
      {
        class: "attachment image",
        testid: "attachment",
        dataset: { attachmentId: a.id, kind: "image" },
        attrs: { type: "button", "aria-label": `Open image ${a.name}` },
        on: { click: () => openLightbox(a) },
      },
      img,
      h("span", { class: "muted attachment-loading" }, "Loading image…"),
    );
    blobUrl(a.thumbnail || attachmentUrl(a))
      .then((src) => {
        img.src = src;
        img.hidden = false;
        img.dataset.loaded = "true";
        button.querySelector(".attachment-loading")?.remove();
      })
      .catch(() => {
        const loading = button.querySelector(".attachment-loading");
        if (loading) loading.textContent = "Image not available";
      });
    return button;
  }
  const link = h(
    "a",
    {
      class: "attachment file",
      testid: "attachment",
      dataset: { attachmentId: a.id, kind: "file" },
      attrs: { href: "#", download: a.name },
      on: {
        click: (ev) => {
          ev.preventDefault();
          void download(a);
        },
      },
    },
    h("span", { class: "file-icon", attrs: { "aria-hidden": "true" } }, "📄"),
    h("span", { class: "file-name" }, a.name),
    h("span", { class: "muted" }, formatSize(a.size)),
  );
  return link;
}

async function download(a: Attachment): Promise<void> {
  const src = await blobUrl(attachmentUrl(a));
  const link = h("a", { attrs: { href: src, download: a.name } });
  document.body.append(link);
  link.click();
  link.remove();
}

/** The full image over the page; Escape, the ✕ or a click on the backdrop closes it. */
export function openLightbox(a: Attachment): void {
  const img = h("img", { class: "lightbox-image", testid: "lightbox-image", attrs: { alt: a.name } });
  const close = h("button", { class: "icon lightbox-close", testid: "lightbox-close", attrs: { type: "button", "aria-label": "Close" } }, "✕");
  const dialog = h(
    "dialog",
    { class: "lightbox", testid: "lightbox", attrs: { "aria-label": a.name } },
    close,
    img,
    h("div", { class: "lightbox-caption" }, a.name, " · ", formatSize(a.size)),
  );
  const done = () => {
    dialog.close();
    dialog.remove();
  };
  close.addEventListener("click", done);
  dialog.addEventListener("click", (ev) => {
    if (ev.target === dialog) done();
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  img.addEventListener("load", () => (img.dataset.loaded = "true"));
  blobUrl(attachmentUrl(a))
    .then((src) => (img.src = src))
    .catch(() => img.replaceWith(h("p", { class: "error" }, "Image not available")));
}
