// The composer: text (Enter sends, Shift+Enter a new line), the quote of the message being
// replied to, the @-autocomplete, and attachments: picked, dropped on the chat or pasted, each
// uploaded at once with its progress shown (XMLHttpRequest upload progress), sent with the text
// as `attachments` once every upload is done.

import { chat } from "../chat";
import { asChat, type StoredUpload } from "../chatTypes";
import { h, replaceChildren, userText } from "../dom";
import type { ConvState } from "../store";
import type { Message } from "../types";
import { formatSize, uploadFile, type UploadHandle } from "../upload";
import { icon } from "./chatIcons";
import { firstLine } from "./chatText";
import { mentionAutocomplete } from "./composerMentions";

const MAX_ATTACHMENTS = 10;

interface PendingUpload {
  key: number;
  file: File;
  fraction: number;
  handle: UploadHandle;
  done: StoredUpload | null;
  error: string | null;
}

export interface Composer {
  el: HTMLElement;
  replyTo: (msg: Message) => void;
  /** Files dropped on the chat or pasted: upload each. */
  addFiles: (files: Iterable<File>) => void;
  focus: () => void;
  dispose: () => void;
}

export function composer(
  state: ConvState,
  opts: { onSent: () => void; canMentionEveryone: () => boolean },
): Composer {
  const id = state.conv.id;
  let replying: Message | null = null;
  const uploads: PendingUpload[] = [];
  let nextKey = 0;

  const input = h("textarea", {
    class: "composer-input",
    testid: "composer-input",
    attrs: { rows: 1, maxlength: 4000, placeholder: "Write a message", "aria-label": "Message" },
  });
  const sendButton = h("button", { class: "primary", testid: "composer-send", attrs: { type: "submit" } }, "Send");
  const fileInput = h("input", { testid: "composer-file-input", attrs: { type: "file", multiple: true, "aria-label": "Attach files" } });
  fileInput.hidden = true;
  const attach = h(
    "button",
    { class: "icon attach", testid: "composer-attach", attrs: { type: "button", "aria-label": "Attach files", title: "Attach files" } },
    icon("attach"),
  );
  const replyBar = h("div", { class: "reply-bar", testid: "composer-reply" });
  replyBar.hidden = true;
  const uploadList = h("ul", { class: "upload-list", testid: "upload-list" });
  uploadList.hidden = true;
  const error = h("p", { class: "error composer-error", testid: "composer-error", attrs: { role: "alert" } });
  const mentions = mentionAutocomplete(input, state, opts.canMentionEveryone);

  const form = h(
    "form",
    { class: "composer", testid: "composer", on: { submit: (ev) => submit(ev) } },
    attach,
    fileInput,
    input,
    sendButton,
  );
  const el = h("div", { class: "composer-area" }, mentions.el, replyBar, uploadList, error, form);

  attach.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    if (fileInput.files) addFiles(fileInput.files);
    fileInput.value = "";
  });
  input.addEventListener("keydown", (ev) => {
    if (mentions.onKeyDown(ev)) return;
    if (ev.key === "Escape" && replying) {
      setReply(null);
      return;
    }
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    if (input.value.trim()) chat.typing(id);
    mentions.onInput();
  });
  input.addEventListener("paste", (ev) => {
    const files = [...(ev.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    addFiles(files);
  });

  function submit(ev: Event): void {
    ev.preventDefault();
    const text = input.value.trim();
    if (uploads.some((u) => !u.done && !u.error)) {
      error.textContent = "Wait for the uploads to finish.";
      return;
    }
    const done = uploads.flatMap((u) => (u.done ? [u.done] : []));
    if (!text && done.length === 0) return;
    chat.send(id, text, {
      reply_to: replying?.id,
      replyQuote: replying ? asChat(replying) : undefined,
      attachments: done.map((a) => a.id),
      attachmentNames: done.map((a) => a.name),
    });
    input.value = "";
    uploads.length = 0;
    renderUploads();
    setReply(null);
    mentions.close();
    error.textContent = "";
    opts.onSent();
    input.focus();
  }

  function setReply(msg: Message | null): void {
    replying = msg;
    replyBar.hidden = !msg;
    if (!msg) {
      replaceChildren(replyBar);
      return;
    }
    const cancel = h(
      "button",
      { class: "icon", testid: "composer-reply-cancel", attrs: { type: "button", "aria-label": "Cancel reply" }, on: { click: () => setReply(null) } },
      "✕",
    );
    replaceChildren(
      replyBar,
      h("span", { class: "muted" }, "Replying to "),
      userText(msg.sender_name, "composer-reply-sender", "reply-sender"),
      userText(firstLine(msg.text || (asChat(msg).attachments?.length ? "📎 attachment" : "")), "composer-reply-text", "reply-text"),
      cancel,
    );
    input.focus();
  }

  function addFiles(files: Iterable<File>): void {
    for (const file of files) {
      if (uploads.length >= MAX_ATTACHMENTS) {
        error.textContent = `At most ${MAX_ATTACHMENTS} files per message.`;
        break;
      }
      const upload: PendingUpload = {
        key: nextKey++,
        file,
        fraction: 0,
        done: null,
        error: null,
        handle: uploadFile(file, id, (fraction) => {
          upload.fraction = fraction;
          renderUploads();
        }),
      };
      uploads.push(upload);
      upload.handle.promise
        .then((stored) => (upload.done = stored))
        .catch((err: unknown) => (upload.error = err instanceof Error ? err.message : String(err)))
        .finally(renderUploads);
    }
    renderUploads();
  }

  function renderUploads(): void {
    uploadList.hidden = uploads.length === 0;
    const busy = uploads.some((u) => !u.done && !u.error);
    sendButton.disabled = busy;
    replaceChildren(
      uploadList,
      ...uploads.map((u) => {
        const status = u.error ? "failed" : u.done ? "done" : "uploading";
        const progress = h("progress", { testid: "upload-progress", attrs: { max: 1, "aria-label": `Uploading ${u.file.name}` } });
        progress.value = u.done ? 1 : u.fraction;
        const remove = h(
          "button",
          { class: "icon", testid: "upload-remove", attrs: { type: "button", "aria-label": `Remove ${u.file.name}` } },
          "✕",
        );
        remove.addEventListener("click", () => {
          if (!u.done && !u.error) u.handle.abort();
          uploads.splice(uploads.indexOf(u), 1);
          renderUploads();
        });
        return h(
          "li",
          { class: `upload ${status}`, testid: "upload-item", dataset: { status, name: u.file.name } },
          userText(u.file.name, "upload-name", "upload-name"),
          h("span", { class: "muted" }, formatSize(u.file.size)),
          u.error ? h("span", { class: "error", testid: "upload-error" }, u.error) : progress,
          remove,
        );
      }),
    );
  }

  return {
    el,
    replyTo: setReply,
    addFiles,
    focus: () => input.focus(),
    dispose: () => {
      for (const u of uploads) if (!u.done && !u.error) u.handle.abort();
    },
  };
}
