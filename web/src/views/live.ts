// Helpers for elements that stay live after they were rendered: store subscriptions that end
// once the element has left the page, and countdowns driven by one shared ticker.

import { formatRemaining } from "../format";
import { store, type Topic } from "../store";

/**
 * Call `fn` on every notify of `topics` while `el` is on the page. Renderers that return a bare
 * element (cards) have no dispose hook, so the subscription ends itself: when the element was
 * never attached by the next task, or at the first notify after it was detached.
 */
export function bindLive(el: HTMLElement, topics: Topic[], fn: () => void): void {
  let attached = false;
  const unsubs = topics.map((topic) =>
    store.subscribe(topic, () => {
      if (el.isConnected) {
        attached = true;
        fn();
      } else if (attached) {
        stop();
      }
    }),
  );
  function stop(): void {
    unsubs.forEach((u) => u());
  }
  setTimeout(() => {
    if (el.isConnected) attached = true;
    else stop();
  }, 0);
}

let ticker: number | undefined;
let idleTicks = 0;

/**
 * A live countdown to `untilIso` ("4:59"); at zero it shows `doneText`. Every countdown on the
 * page is updated by one ticker, which stops when none is left.
 */
export function countdown(untilIso: string, testid: string, doneText = "expired"): HTMLElement {
  const el = document.createElement("time");
  el.className = "countdown";
  el.dataset.testid = testid;
  el.dataset.countdownUntil = untilIso;
  el.dataset.countdownDone = doneText;
  el.setAttribute("datetime", untilIso);
  tick(el);
  if (ticker === undefined) ticker = window.setInterval(tickAll, 1000);
  return el;
}

function tick(el: HTMLElement): void {
  const left = Date.parse(el.dataset.countdownUntil ?? "") - Date.now();
  const done = !(left > 0);
  el.textContent = done ? (el.dataset.countdownDone ?? "") : formatRemaining(left);
  el.dataset.remaining = String(done ? 0 : Math.ceil(left / 1000));
}

function tickAll(): void {
  const all = document.querySelectorAll<HTMLElement>("[data-countdown-until]");
  if (all.length === 0) {
    // A countdown may be rendered but not attached yet: stop only after a few idle ticks.
    if (++idleTicks >= 5) {
      window.clearInterval(ticker);
      ticker = undefined;
      idleTicks = 0;
    }
    return;
  }
  idleTicks = 0;
  all.forEach(tick);
}
