// Uploads (`POST /api/uploads`, multipart) through XMLHttpRequest, since fetch cannot report
// upload progress; and attachment bytes fetched with the bearer token as blob: URLs (an <img>
// cannot send the token; the CSP allows blob: images).

import { getToken } from "./session";
import type { Attachment, StoredUpload } from "./chatTypes";

export class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface UploadHandle {
  promise: Promise<StoredUpload>;
  abort(): void;
}

/** Upload one file for a conversation; `onProgress` gets 0..1 as the bytes go out. */
export function uploadFile(file: File, conversationId: string, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<StoredUpload>((resolve, reject) => {
    // The conversation goes in the query too: the server checks it before reading the body.
    xhr.open("POST", `/api/uploads?conversation_id=${encodeURIComponent(conversationId)}`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response as { upload?: StoredUpload; error?: { code: string; message: string } } | null;
      const stored = body?.upload;
      if (xhr.status >= 200 && xhr.status < 300 && stored) {
        onProgress(1);
        resolve(stored);
        return;
      }
      const err = body?.error;
      reject(new UploadError(err?.code ?? "unavailable", err?.message ?? `Upload failed (HTTP ${xhr.status})`, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new UploadError("unavailable", "Cannot reach the server", 0)));
    xhr.addEventListener("abort", () => reject(new UploadError("aborted", "Upload cancelled", 0)));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Attachment bytes already fetched, by URL: one object URL per image, kept for the session. */
const blobUrls = new Map<string, Promise<string>>();

export function blobUrl(url: string): Promise<string> {
  let held = blobUrls.get(url);
  if (!held) {
    held = (async () => {
      const headers: Record<string, string> = {};
      const token = getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
      const resp = await fetch(url, { headers });
      if (!resp.ok) throw new UploadError(resp.status === 404 ? "not_found" : "unavailable", `HTTP ${resp.status}`, resp.status);
      return URL.createObjectURL(await resp.blob());
    })();
    held.catch(() => blobUrls.delete(url));
    blobUrls.set(url, held);
  }
  return held;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Where an attachment's bytes are served (members of its conversation only). */
export function attachmentUrl(a: Attachment): string {
  return `/api/uploads/${encodeURIComponent(a.id)}`;
}
