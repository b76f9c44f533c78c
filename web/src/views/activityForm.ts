// The organiser's activity form: post a new activity in a circle (owner/admin), or edit one.
// Times are entered in local time (datetime-local) and sent as UTC ISO strings ending in Z. An
// edit sends only the fields that were changed, so an untouched start time is never "moved" by
// the minute precision of the input (a change of time or place asks everyone to re-confirm).

import { activities, activityError } from "../activities";
import { api, type ActivityPatch, type NewActivity } from "../api";
import { openCircle, parseTags, slug } from "../circles";
import { h, replaceChildren, userText } from "../dom";
import { CURRENCIES, currencyLabel, toMajor, toMinor } from "../currencies";
import { formatAmount, fromLocalInput, toLocalInput } from "../format";
import { activityHash, navigate } from "../router";
import type { Activity, Circle } from "../types";
import type { View } from "./view";
import { paidGateNotice } from "./verificationGate";

interface Fields {
  title: HTMLInputElement;
  description: HTMLTextAreaElement;
  category: HTMLInputElement;
  tags: HTMLInputElement;
  starts: HTMLInputElement;
  ends: HTMLInputElement;
  deadline: HTMLInputElement;
  locationName: HTMLInputElement;
  locationAddress: HTMLInputElement;
  capacity: HTMLInputElement;
  priceAmount: HTMLInputElement;
  priceCurrency: HTMLSelectElement;
  offerWindow: HTMLInputElement;
}

type FieldName = keyof Fields;

function makeFields(): Fields {
  const input = (name: string, attrs: Record<string, string | number | boolean> = {}) =>
    h("input", { testid: `activity-form-${name}`, attrs: { name, ...attrs } });
  return {
    title: input("title", { required: true, maxlength: 120, placeholder: "Saturday hike" }),
    description: h("textarea", {
      testid: "activity-form-description",
      attrs: { name: "description", rows: 3, maxlength: 4000, placeholder: "What to bring, where to meet…" },
    }),
    // A list to pick from, free text allowed (made a slug on blur). The `-` is escaped: pattern
    // attributes are compiled with the `v` flag, where a bare `-` in a class is an error.
    category: input("category", {
      required: true,
      maxlength: 32,
      placeholder: "outdoors",
      pattern: "[a-z0-9\\-]{1,32}",
      list: CATEGORY_LIST_ID,
      autocomplete: "off",
    }),
    tags: input("tags", { placeholder: "hiking, beginners" }),
    starts: input("starts", { type: "datetime-local", required: true }),
    ends: input("ends", { type: "datetime-local", required: true }),
    deadline: input("deadline", { type: "datetime-local" }),
    locationName: input("location-name", { required: true, maxlength: 200, placeholder: "Trailhead car park" }),
    locationAddress: input("location-address", { maxlength: 400, placeholder: "1 Forest Road" }),
    capacity: input("capacity", { type: "number", required: true, min: 1, max: 100000, step: 1, value: 10 }),
    priceAmount: input("price-amount", { inputmode: "decimal", placeholder: "free", autocomplete: "off" }),
    priceCurrency: currencyPicker(),
    offerWindow: input("offer-window", { type: "number", min: 1, max: 10080, step: 1, value: 30 }),
  };
}

const CATEGORY_LIST_ID = "activity-categories";
/** Suggestions for the category; any other slug may be typed. */
const CATEGORIES = [
  "sports", "outdoors", "running", "cycling", "hiking", "games", "board-games", "learning",
  "languages", "books", "music", "arts", "crafts", "film", "food", "tech", "social", "wellness",
  "family", "volunteering", "travel",
];

function categoryList(extra: string | null): HTMLDataListElement {
  const options = extra && !CATEGORIES.includes(extra) ? [extra, ...CATEGORIES] : CATEGORIES;
  return h(
    "datalist",
    { testid: "activity-form-category-list", attrs: { id: CATEGORY_LIST_ID } },
    ...options.map((c) => h("option", { attrs: { value: c } })),
  );
}

function currencyPicker(): HTMLSelectElement {
  const select = h(
    "select",
    { testid: "activity-form-price-currency", attrs: { name: "price-currency", "aria-label": "Currency" } },
    ...CURRENCIES.map((c) => h("option", { attrs: { value: c } }, currencyLabel(c))),
  );
  select.value = "EUR";
  return select;
}

function layout(f: Fields, mode: "create" | "edit"): HTMLElement[] {
  const field = (label: string, control: HTMLElement, hint?: string) =>
    h("label", { class: "field" }, label, control, hint ? h("small", { class: "muted" }, hint) : null);
  return [
    field("Title", f.title),
    field("Description", f.description),
    h(
      "div",
      { class: "field-row" },
      field("Category", f.category, "Pick one or type your own."),
      categoryList(null),
      field("Tags (comma separated)", f.tags),
    ),
    h("div", { class: "field-row" }, field("Starts", f.starts), field("Ends", f.ends)),
    field("Sign-up deadline (optional)", f.deadline, "Empty: sign-ups close at the start."),
    h("div", { class: "field-row" }, field("Place", f.locationName), field("Address (optional)", f.locationAddress)),
    h(
      "div",
      { class: "field-row" },
      field("Capacity", f.capacity),
      field("Price (optional)", f.priceAmount, "e.g. 12.50; empty = free"),
      field("Currency", f.priceCurrency),
    ),
    mode === "create" ? field("Offer window (minutes)", f.offerWindow, "How long a freed seat is held for the next person waiting.") : h("span", {}),
  ];
}

/** Shared checks; answers an error sentence or null. */
function check(f: Fields): string | null {
  const starts = fromLocalInput(f.starts.value);
  const ends = fromLocalInput(f.ends.value);
  if (!starts || !ends) return "Enter a start and an end time.";
  if (Date.parse(ends) <= Date.parse(starts)) return "The end must be after the start.";
  if (f.deadline.value) {
    const deadline = fromLocalInput(f.deadline.value);
    if (!deadline) return "The sign-up deadline is not a valid time.";
    if (Date.parse(deadline) > Date.parse(starts)) return "The sign-up deadline must not be after the start.";
  }
  const capacity = Number(f.capacity.value);
  if (!Number.isInteger(capacity) || capacity < 1) return "The capacity must be a whole number of at least 1.";
  if (f.priceAmount.value.trim()) {
    const parsed = toMinor(f.priceAmount.value, f.priceCurrency.value);
    if (!parsed.ok) return `Price: ${parsed.error}`;
  }
  return null;
}

/** The price on the wire: minor units of the picked currency (null: free). */
function priceOf(f: Fields): { amount: number; currency: string } | null {
  if (!f.priceAmount.value.trim()) return null;
  const parsed = toMinor(f.priceAmount.value, f.priceCurrency.value);
  return parsed.ok ? { amount: parsed.minor, currency: f.priceCurrency.value } : null;
}

function priceHint(f: Fields, hint: HTMLElement): void {
  const text = f.priceAmount.value.trim();
  const parsed = text ? toMinor(text, f.priceCurrency.value) : null;
  hint.textContent = !parsed ? "" : parsed.ok ? `Price: ${formatAmount(parsed.minor, f.priceCurrency.value)}` : parsed.error;
}

// ---- create -------------------------------------------------------------------------------

export function newActivityView(circleId: string): View {
  const f = makeFields();
  const error = h("p", { class: "error", testid: "activity-form-error", attrs: { role: "alert" } });
  const submit = h("button", { class: "primary", testid: "activity-form-submit", attrs: { type: "submit" } }, "Post activity");
  const heading = h("h1", {}, "New activity");
  const hint = h("span", { class: "muted", testid: "activity-form-price-hint" });
  let circle: Circle | null = null;

  f.category.addEventListener("blur", () => (f.category.value = slug(f.category.value)));
  for (const el of [f.priceAmount, f.priceCurrency]) el.addEventListener("input", () => priceHint(f, hint));
  f.priceCurrency.addEventListener("change", () => priceHint(f, hint));

  const form = h(
    "form",
    {
      class: "form-card activity-form",
      testid: "activity-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          error.textContent = "";
          const problem = check(f);
          if (problem) {
            error.textContent = problem;
            return;
          }
          const body: NewActivity = {
            title: f.title.value.trim(),
            description: f.description.value.trim() || undefined,
            category: slug(f.category.value),
            tags: parseTags(f.tags.value),
            starts_at: fromLocalInput(f.starts.value)!,
            ends_at: fromLocalInput(f.ends.value)!,
            location: {
              name: f.locationName.value.trim(),
              ...(f.locationAddress.value.trim() ? { address: f.locationAddress.value.trim() } : {}),
            },
            capacity: Number(f.capacity.value),
          };
          const price = priceOf(f);
          if (price) body.price = price;
          if (f.deadline.value) body.signup_deadline = fromLocalInput(f.deadline.value)!;
          if (f.offerWindow.value.trim()) body.offer_window_minutes = Number(f.offerWindow.value);
          submit.disabled = true;
          try {
            const { activity } = await api.createActivity(circleId, body);
            activities.applyActivity(activity);
            // Back to the circle's chat, where the card has just been posted.
            if (circle) await openCircle(circle);
            else navigate(activityHash(activity.id));
          } catch (err) {
            const gate = paidGateNotice(err, circleId);
            if (gate) replaceChildren(error, gate);
            else error.textContent = activityError(err);
            submit.disabled = false;
          }
        },
      },
    },
    ...layout(f, "create"),
    hint,
    error,
    submit,
  );

  const el = h(
    "section",
    { class: "pane activity-pane", testid: "new-activity-view" },
    h("header", { class: "pane-header" }, heading),
    form,
  );

  void api
    .getCircle(circleId)
    .then(({ circle: c }) => {
      circle = c;
      replaceChildren(heading, "New activity in ", userText(c.name, "activity-form-circle"));
      if (!f.category.value) f.category.value = c.category;
      el.querySelector(`#${CATEGORY_LIST_ID}`)?.replaceWith(categoryList(c.category));
      if (c.my_role !== "owner" && c.my_role !== "admin") {
        error.textContent = "Only the circle's owner and admins can post activities.";
        submit.disabled = true;
      }
    })
    .catch((err) => (error.textContent = activityError(err)));

  return { el };
}

// ---- edit ---------------------------------------------------------------------------------

function fill(f: Fields, a: Activity): Record<FieldName, string> {
  f.title.value = a.title;
  f.description.value = a.description ?? "";
  f.category.value = a.category;
  f.tags.value = (a.tags ?? []).join(", ");
  f.starts.value = toLocalInput(a.starts_at);
  f.ends.value = toLocalInput(a.ends_at);
  // The default deadline is the start: shown empty, so it keeps following the start.
  f.deadline.value = a.signup_deadline === a.starts_at ? "" : toLocalInput(a.signup_deadline);
  f.locationName.value = a.location.name;
  f.locationAddress.value = a.location.address ?? "";
  f.capacity.value = String(a.capacity);
  f.priceAmount.value = a.price && a.price.amount > 0 ? toMajor(a.price.amount, a.price.currency) : "";
  if (a.price) {
    // A currency outside the list (the server takes any three letters) is still shown.
    if (!CURRENCIES.includes(a.price.currency)) {
      f.priceCurrency.append(h("option", { attrs: { value: a.price.currency } }, a.price.currency));
    }
    f.priceCurrency.value = a.price.currency;
  }
  return snapshot(f);
}

function snapshot(f: Fields): Record<FieldName, string> {
  const out = {} as Record<FieldName, string>;
  for (const [name, el] of Object.entries(f) as Array<[FieldName, HTMLInputElement]>) out[name] = el.value;
  return out;
}

/** The PATCH body: only what the organiser changed. */
function patchOf(f: Fields, a: Activity, initial: Record<FieldName, string>): ActivityPatch {
  const now = snapshot(f);
  const changed = (name: FieldName) => now[name] !== initial[name];
  const patch: ActivityPatch = {};
  if (changed("title")) patch.title = f.title.value.trim();
  if (changed("description")) patch.description = f.description.value.trim();
  if (changed("category")) patch.category = slug(f.category.value);
  if (changed("tags")) patch.tags = parseTags(f.tags.value);
  if (changed("starts")) patch.starts_at = fromLocalInput(f.starts.value)!;
  if (changed("ends")) patch.ends_at = fromLocalInput(f.ends.value)!;
  if (changed("deadline")) {
    // Emptied: back to the default, the (possibly new) start.
    patch.signup_deadline = f.deadline.value
      ? fromLocalInput(f.deadline.value)!
      : (patch.starts_at ?? a.starts_at);
  }
  if (changed("locationName") || changed("locationAddress")) {
    const address = f.locationAddress.value.trim();
    patch.location = {
      name: f.locationName.value.trim(),
      address: address || null,
      ...(a.location.lat != null ? { lat: a.location.lat } : {}),
      ...(a.location.lng != null ? { lng: a.location.lng } : {}),
    };
  }
  if (changed("capacity")) patch.capacity = Number(f.capacity.value);
  if (changed("priceAmount") || changed("priceCurrency")) {
    patch.price = priceOf(f);
  }
  return patch;
}

export function editActivityView(id: string): View {
  const f = makeFields();
  const error = h("p", { class: "error", testid: "activity-form-error", attrs: { role: "alert" } });
  const note = h("p", { class: "muted", testid: "activity-form-note" });
  const submit = h("button", { class: "primary", testid: "activity-form-submit", attrs: { type: "submit" } }, "Save changes");
  const back = h("a", { class: "button", testid: "activity-form-back", attrs: { href: activityHash(id) } }, "Back");
  const heading = h("h1", {}, "Edit activity");
  const hint = h("span", { class: "muted", testid: "activity-form-price-hint" });
  let activity: Activity | null = null;
  let initial: Record<FieldName, string> | null = null;
  submit.disabled = true;

  f.category.addEventListener("blur", () => (f.category.value = slug(f.category.value)));
  for (const el of [f.priceAmount, f.priceCurrency]) el.addEventListener("input", () => priceHint(f, hint));
  f.priceCurrency.addEventListener("change", () => priceHint(f, hint));
  const warnMaterial = () => {
    if (!initial) return;
    const material =
      f.starts.value !== initial.starts ||
      f.ends.value !== initial.ends ||
      f.locationName.value !== initial.locationName ||
      f.locationAddress.value !== initial.locationAddress;
    note.textContent = material
      ? "Changing the time or place posts a notice in the circle and asks everyone signed up to re-confirm."
      : "";
  };
  for (const el of [f.starts, f.ends, f.locationName, f.locationAddress]) el.addEventListener("input", warnMaterial);

  const form = h(
    "form",
    {
      class: "form-card activity-form",
      testid: "activity-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          if (!activity || !initial) return;
          error.textContent = "";
          const problem = check(f);
          if (problem) {
            error.textContent = problem;
            return;
          }
          const patch = patchOf(f, activity, initial);
          if (Object.keys(patch).length === 0) {
            navigate(activityHash(id));
            return;
          }
          submit.disabled = true;
          try {
            const { activity: saved } = await api.patchActivity(id, patch);
            activities.applyActivity(saved);
            activities.refresh(id);
            navigate(activityHash(id));
          } catch (err) {
            error.textContent = activityError(err);
            submit.disabled = false;
          }
        },
      },
    },
    ...layout(f, "edit"),
    hint,
    note,
    error,
    h("div", { class: "form-buttons" }, submit, back),
  );

  const el = h(
    "section",
    { class: "pane activity-pane", testid: "edit-activity-view" },
    h("header", { class: "pane-header" }, heading),
    form,
  );

  void api
    .getActivity(id)
    .then(({ activity: a }) => {
      activity = a;
      activities.applyActivity(a);
      initial = fill(f, a);
      priceHint(f, hint);
      replaceChildren(heading, "Edit ", userText(a.title, "activity-form-heading"));
      submit.disabled = a.status === "cancelled";
      if (a.status === "cancelled") error.textContent = "This activity was cancelled.";
      form.dataset.loaded = "true";
    })
    .catch((err) => (error.textContent = activityError(err)));

  return { el };
}
