// The @-autocomplete of the composer: typing `@` and the start of a handle or name lists the
// conversation's members (a circle's member list, a DM's peer; `@everyone` for owners and
// admins); arrows move, Enter or Tab picks, Escape closes, a click picks.

import { api } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { store, type ConvState } from "../store";

const MAX_SHOWN = 6;
/** The `@word` just before the caret (start of text or after a space/bracket). */
const TOKEN_RE = /(?:^|[\s(])@([a-z0-9_]*)$/i;

interface Candidate {
  handle: string;
  name: string;
  userId: string | null;
}

export interface MentionAutocomplete {
  el: HTMLElement;
  /** Let the autocomplete handle a key first; true when it did (the composer then stops). */
  onKeyDown: (ev: KeyboardEvent) => boolean;
  onInput: () => void;
  close: () => void;
}

export function mentionAutocomplete(
  input: HTMLTextAreaElement,
  state: ConvState,
  canMentionEveryone: () => boolean,
): MentionAutocomplete {
  const list = h("ul", { class: "mention-suggestions", testid: "mention-suggestions", attrs: { role: "listbox", "aria-label": "Mention someone" } });
  list.hidden = true;
  let members: Candidate[] | null = null;
  let loading: Promise<void> | null = null;
  let shown: Candidate[] = [];
  let active = 0;

  function load(): Promise<void> {
    if (members) return Promise.resolve();
    if (!loading) {
      loading = (async () => {
        const peer = state.conv.peer;
        if (state.conv.kind === "dm" && peer) {
          members = [{ handle: peer.handle, name: peer.display_name, userId: peer.id }];
          return;
        }
        if (!state.conv.circle_id) {
          members = [];
          return;
        }
        const data = await api.members(state.conv.circle_id);
        members = data.members
          .filter((m) => m.user.id !== store.me?.id)
          .map((m) => ({ handle: m.user.handle, name: m.user.display_name, userId: m.user.id }));
      })().catch(() => {
        loading = null; // try again on the next `@`
      });
    }
    return loading;
  }

  function token(): string | null {
    const upto = input.value.slice(0, input.selectionStart ?? input.value.length);
    const match = TOKEN_RE.exec(upto);
    return match ? match[1].toLowerCase() : null;
  }

  function onInput(): void {
    const word = token();
    if (word === null) {
      close();
      return;
    }
    void load().then(() => {
      if (token() !== word) return; // typed on meanwhile: the newer input call decides
      const all = [...(members ?? [])];
      if (canMentionEveryone() && state.conv.kind === "circle") all.push({ handle: "everyone", name: "Everyone in this circle", userId: null });
      shown = all
        .filter((c) => c.handle.toLowerCase().startsWith(word) || c.name.toLowerCase().split(/\s+/).some((part) => part.startsWith(word)))
        .slice(0, MAX_SHOWN);
      active = 0;
      render();
    });
  }

  function render(): void {
    if (shown.length === 0) {
      close();
      return;
    }
    replaceChildren(
      list,
      ...shown.map((c, i) => {
        const item = h(
          "li",
          {
            class: `mention-option${i === active ? " active" : ""}`,
            testid: "mention-option",
            dataset: { handle: c.handle },
            attrs: { role: "option", "aria-selected": String(i === active) },
          },
          userText(c.name, "mention-option-name", "mention-name"),
          h("span", { class: "muted handle" }, `@${c.handle}`),
        );
        // mousedown, not click: the textarea keeps its focus and caret.
        item.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          pick(c);
        });
        return item;
      }),
    );
    list.hidden = false;
  }

  function pick(c: Candidate): void {
    const caret = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, caret).replace(/@([a-z0-9_]*)$/i, `@${c.handle} `);
    input.value = before + input.value.slice(caret);
    input.setSelectionRange(before.length, before.length);
    close();
    input.focus();
  }

  function close(): void {
    shown = [];
    list.hidden = true;
    replaceChildren(list);
  }

  function onKeyDown(ev: KeyboardEvent): boolean {
    if (list.hidden || shown.length === 0) return false;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      active = (active + (ev.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      pick(shown[active]);
    } else if (ev.key === "Escape") {
      close();
    } else {
      return false;
    }
    ev.preventDefault();
    return true;
  }

  // Leaving the field closes the list (unless focus came straight back, e.g. after a pick).
  input.addEventListener("blur", () =>
    setTimeout(() => {
      if (document.activeElement !== input) close();
    }, 150),
  );
  return { el: list, onKeyDown, onInput, close };
}
