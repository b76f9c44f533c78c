// Editing one's own profile (#/me/profile): display name, city, bio, interests, whether the
// activities one attended show on the profile, and the avatar (uploaded with its progress;
// the server crops it square).

import { describeError } from "../api";
import { h, replaceChildren } from "../dom";
import { navigate } from "../router";
import { store } from "../store";
import { profiles, uploadImage, type Profile } from "./postsApi";
import { avatarNode, userHash } from "./postsItem";
import type { View } from "./view";

export function editProfileView(): View {
  const error = h("p", { class: "error", testid: "profile-form-error", attrs: { role: "alert" } });
  const form = h("form", { class: "profile-form", testid: "profile-form" });
  const el = h("section", { class: "pane profile-edit", testid: "profile-edit" }, h("header", { class: "pane-header" }, h("h1", {}, "Edit profile"), h("a", { class: "nav-link", testid: "profile-verification-link", attrs: { href: "#/me/verification" } }, "Organiser verification")), error, form);

  async function load(): Promise<void> {
    const me = store.me;
    if (!me) return;
    try {
      draw((await profiles.get(me.id)).profile);
    } catch (err) {
      error.textContent = describeError(err);
    }
  }

  function draw(p: Profile): void {
    const name = h("input", { testid: "profile-name-input", attrs: { type: "text", maxlength: 64, required: true, value: p.user.display_name } });
    const city = h("input", { testid: "profile-city-input", attrs: { type: "text", maxlength: 64, value: p.city ?? "" } });
    const bio = h("textarea", { testid: "profile-bio-input", attrs: { rows: 4, maxlength: 500 } });
    bio.value = p.bio ?? "";
    const interests = h("input", { testid: "profile-interests-input", attrs: { type: "text", value: p.interests.join(", "), placeholder: "hiking, board-games" } });
    const attended = h("input", { testid: "profile-attended-input", attrs: { type: "checkbox", checked: p.show_attended } });
    const avatar = h("span", { class: "profile-avatar-slot" }, avatarNode({ display_name: p.user.display_name, avatar_url: p.avatar?.url ?? null }, "large"));
    const progress = h("progress", { testid: "avatar-progress", attrs: { max: 1, value: 0, hidden: true } });
    const file = h("input", { testid: "avatar-input", attrs: { type: "file", accept: "image/*", "aria-label": "Avatar" } });
    async function onPick(): Promise<void> {
      const picked = file.files?.[0];
      if (!picked) return;
      progress.hidden = false;
      try {
        const stored = await uploadImage(picked, { purpose: "avatar" }, (f) => (progress.value = f)).promise;
        const { profile } = await profiles.setAvatar(stored.id);
        replaceChildren(avatar, avatarNode({ display_name: profile.user.display_name, avatar_url: profile.avatar?.url ?? null }, "large"));
        error.textContent = "";
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : describeError(err);
      } finally {
        progress.hidden = true;
        file.value = "";
      }
    }
    file.addEventListener("change", () => void onPick());
    replaceChildren(
      form,
      h("div", { class: "field" }, avatar, file, progress),
      h("label", { class: "field" }, "Display name", name),
      h("label", { class: "field" }, "City", city),
      h("label", { class: "field" }, "About you", bio),
      h("label", { class: "field" }, "Interests (comma separated)", interests),
      h("label", { class: "field" }, attended, " Show the activities I attended on my profile"),
      h("button", { class: "primary", testid: "profile-save", attrs: { type: "submit" } }, "Save"),
    );
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        const { profile } = await profiles.edit({
          display_name: name.value,
          city: city.value,
          bio: bio.value,
          interests: interests.value.split(/[\s,]+/).map((t) => t.trim().toLowerCase().replace(/^#/, "")).filter(Boolean),
          show_attended: attended.checked,
        });
        if (store.me) {
          store.me = { ...store.me, display_name: profile.user.display_name };
          store.notify("me");
        }
        navigate(userHash(profile.user.id));
      } catch (err) {
        error.textContent = describeError(err);
      }
    };
  }

  void load();
  return { el };
}
