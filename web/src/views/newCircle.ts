// Create a circle (POST /api/circles); the creator becomes its owner and lands in its chat.

import { api, describeError } from "../api";
import { openCircle, parseTags, slug } from "../circles";
import { h } from "../dom";
import type { Visibility } from "../types";
import type { View } from "./view";

export function newCircleView(): View {
  const name = h("input", {
    testid: "new-circle-name",
    attrs: { required: true, maxlength: 80, placeholder: "Saturday runners" },
  });
  const description = h("textarea", {
    testid: "new-circle-description",
    attrs: { rows: 3, maxlength: 2000, placeholder: "What is this circle about?" },
  });
  const category = h("input", {
    testid: "new-circle-category",
    attrs: { required: true, maxlength: 32, placeholder: "sports", pattern: "[a-z0-9\\-]{1,32}" },
  });
  const tags = h("input", {
    testid: "new-circle-tags",
    attrs: { placeholder: "running, outdoors" },
  });
  const visibility = h(
    "select",
    { testid: "new-circle-visibility" },
    h("option", { attrs: { value: "public" } }, "Public: anyone can find and join"),
    h("option", { attrs: { value: "private" } }, "Private: invite only"),
  );
  const error = h("p", { class: "error", testid: "new-circle-error", attrs: { role: "alert" } });
  const submit = h("button", { class: "primary", testid: "new-circle-submit", attrs: { type: "submit" } }, "Create circle");

  category.addEventListener("blur", () => (category.value = slug(category.value)));

  const form = h(
    "form",
    {
      class: "form-card",
      testid: "new-circle-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          error.textContent = "";
          submit.disabled = true;
          try {
            const { circle } = await api.createCircle({
              name: name.value.trim(),
              description: description.value.trim() || undefined,
              category: slug(category.value),
              tags: parseTags(tags.value),
              visibility: visibility.value as Visibility,
            });
            await openCircle(circle);
          } catch (err) {
            error.textContent = describeError(err);
            submit.disabled = false;
          }
        },
      },
    },
    h("label", { class: "field" }, "Name", name),
    h("label", { class: "field" }, "Description", description),
    h("label", { class: "field" }, "Category", category),
    h("label", { class: "field" }, "Tags (comma separated)", tags),
    h("label", { class: "field" }, "Visibility", visibility),
    error,
    submit,
  );
  return {
    el: h(
      "section",
      { class: "pane new-circle", testid: "new-circle-view" },
      h("header", { class: "pane-header" }, h("h1", {}, "New circle")),
      form,
    ),
  };
}
