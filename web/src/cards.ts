// Card messages (kind "card") are rendered from a domain object; each card `type` registers its
// own renderer here (views/activityCard.ts and views/paymentCard.ts add theirs). Unknown types
// render a neutral placeholder. Renderers must build DOM with dom.ts helpers (text only, never innerHTML).

import { h } from "./dom";
import type { Card, Message } from "./types";

export type CardRenderer = (card: Card, message: Message) => HTMLElement;

const renderers = new Map<string, CardRenderer>();

export function registerCard(type: string, render: CardRenderer): void {
  renderers.set(type, render);
}

export function renderCard(message: Message): HTMLElement {
  const card = message.card;
  const render = card ? renderers.get(card.type) : undefined;
  if (card && render) return h("div", { class: "card", testid: `card-${card.type}` }, render(card, message));
  return h(
    "div",
    { class: "card card-unknown", testid: "card-unknown" },
    card ? `Unsupported card (${String(card.type)})` : "Empty card",
  );
}
