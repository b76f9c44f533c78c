// DOM helpers. User-provided data only ever reaches the page as text nodes or as attribute
// values set through setAttribute (never innerHTML), so markup in data renders inert.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  testid?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  dataset?: Record<string, string | number>;
  // A handler may be async (most forms await the server): `h` reports its rejection instead of
  // leaving an unhandled promise, so every async handler is typed and handled in one place.
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void | Promise<void> };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`event attribute ${name} is not allowed`);
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [key, value] of Object.entries(props.dataset ?? {})) el.dataset[key] = String(value);
  for (const [event, fn] of Object.entries(props.on ?? {}) as [string, (ev: Event) => void | Promise<void>][]) {
    el.addEventListener(event, (ev) => {
      const result = fn(ev);
      if (result instanceof Promise) result.catch(reportError);
    });
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * User text, isolated for bidi (a right-to-left override in a name cannot flip the UI around it).
 */
export function userText(text: string, testid?: string, className = "user-text"): HTMLElement {
  return h("bdi", { class: className, testid, attrs: { dir: "auto" } }, ...visibleControls(text));
}

/**
 * Bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) can make text
 * read differently from what it is ("\u202egnp.exe" shows as "exe.png"). They are shown as
 * visible markers such as "[U+202E]" instead of being applied.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function visibleControls(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(BIDI_CONTROLS)) {
    const at = match.index ?? 0;
    if (at > last) nodes.push(document.createTextNode(text.slice(last, at)));
    const code = match[0].codePointAt(0)?.toString(16).toUpperCase() ?? "";
    nodes.push(h("span", { class: "bidi-control", testid: "bidi-control", attrs: { title: "bidi control character" } }, `[U+${code}]`));
    last = at + match[0].length;
  }
  if (last < text.length || nodes.length === 0) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'\u202a-\u202e\u2066-\u2069]+/gi;

/**
 * Message text as nodes: plain text, with http(s) URLs turned into links. Only http: and https:
 * become links, so `javascript:` and other schemes stay plain text.
 */
export function linkified(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    let raw = match[0];
    const trailing = /[.,;:!?)\]]+$/.exec(raw);
    if (trailing) raw = raw.slice(0, raw.length - trailing[0].length);
    const href = safeHttpUrl(raw);
    if (!href) continue;
    if (start > last) nodes.push(...visibleControls(text.slice(last, start)));
    const a = h("a", { attrs: { href, target: "_blank", rel: "noopener noreferrer nofollow" } });
    a.append(...visibleControls(raw));
    nodes.push(a);
    last = start + raw.length;
  }
  if (last < text.length) nodes.push(...visibleControls(text.slice(last)));
  return nodes;
}

/** ``raw`` as an absolute http(s) URL (relative ones resolve against this page), else null:
 * the only URLs the client ever links to or follows. */
export function safeHttpUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw, window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

export function initials(name: string): string {
  const letters = name
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .map((part) => Array.from(part)[0] ?? "");
  return letters.join("").toUpperCase() || "?";
}
