// The HTTP calls of circle posts and member profiles (docs/protocol.md, "Posts and profiles"),
// typed from the generated wire contract, and image uploads for a post or an avatar (XHR, for
// the upload progress fetch cannot report).

import { request } from "../api";
import { getToken } from "../session";
import type { components } from "../wire.gen";

type Schemas = components["schemas"];
export type Post = Schemas["PostOut"];
export type CircleFeed = Schemas["CircleFeedOut"];
export type Feed = Schemas["FeedOut"];
export type PostComment = Schemas["CommentOut"];
export type Comments = Schemas["CommentsOut"];
export type Profile = Schemas["ProfileOut"];
export type ProfilePatch = Schemas["PatchProfileIn"];
export type NewPost = Schemas["CreatePostIn"];
export type StoredUpload = Schemas["UploadOut"];

const enc = encodeURIComponent;
const cursorQuery = (cursor: string | null): string => (cursor ? `?cursor=${enc(cursor)}` : "");

export const posts = {
  circleFeed: (circleId: string, cursor: string | null = null) =>
    request<CircleFeed>("GET", `/circles/${enc(circleId)}/posts${cursorQuery(cursor)}`),
  memberFeed: (userId: string, cursor: string | null = null) =>
    request<Feed>("GET", `/users/${enc(userId)}/posts${cursorQuery(cursor)}`),
  publish: (circleId: string, body: NewPost) =>
    request<{ post: Post }>("POST", `/circles/${enc(circleId)}/posts`, body),
  get: (postId: string) => request<{ post: Post }>("GET", `/posts/${enc(postId)}`),
  remove: (postId: string) => request<void>("DELETE", `/posts/${enc(postId)}`),
  like: (postId: string, on: boolean) =>
    request<Schemas["LikeOut"]>(on ? "PUT" : "DELETE", `/posts/${enc(postId)}/like`),
  comments: (postId: string, cursor: string | null = null) =>
    request<Comments>("GET", `/posts/${enc(postId)}/comments${cursorQuery(cursor)}`),
  comment: (postId: string, text: string) =>
    request<Schemas["CommentEnvelope"]>("POST", `/posts/${enc(postId)}/comments`, { text }),
  removeComment: (postId: string, commentId: string) =>
    request<void>("DELETE", `/posts/${enc(postId)}/comments/${enc(commentId)}`),
  setMembersCanPost: (circleId: string, allowed: boolean) =>
    request<unknown>("PUT", `/circles/${enc(circleId)}/posts/settings`, { members_can_post: allowed }),
};

export const profiles = {
  get: (userId: string) => request<{ profile: Profile }>("GET", `/users/${enc(userId)}/profile`),
  edit: (patch: ProfilePatch) => request<{ profile: Profile }>("PATCH", "/me/profile", patch),
  setAvatar: (uploadId: string | null) =>
    uploadId === null
      ? request<{ profile: Profile }>("DELETE", "/me/avatar")
      : request<{ profile: Profile }>("PUT", "/me/avatar", { upload_id: uploadId }),
};

export interface ImageUpload {
  promise: Promise<StoredUpload>;
  abort(): void;
}

/** Upload one image for a circle's post (`{circle_id}`) or as an avatar (`{purpose: "avatar"}`). */
export function uploadImage(
  file: File,
  params: { circle_id: string } | { purpose: "avatar" },
  onProgress: (fraction: number) => void,
): ImageUpload {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<StoredUpload>((resolve, reject) => {
    xhr.open("POST", `/api/uploads?${new URLSearchParams(params).toString()}`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response as { upload?: StoredUpload; error?: { message: string } } | null;
      if (xhr.status >= 200 && xhr.status < 300 && body?.upload) {
        onProgress(1);
        resolve(body.upload);
      } else {
        reject(new Error(body?.error?.message ?? `Upload failed (HTTP ${xhr.status})`));
      }
    });
    xhr.addEventListener("error", () => reject(new Error("Cannot reach the server")));
    xhr.addEventListener("abort", () => reject(new Error("Upload cancelled")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
