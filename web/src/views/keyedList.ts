// Keeps a container's children in step with a list of keyed items, re-rendering an item only
// when its version changes and moving nodes only when the order changes.

export interface KeyedItem {
  key: string;
  version: string;
  render: () => HTMLElement;
}

export class KeyedList {
  private readonly nodes = new Map<string, { version: string; el: HTMLElement }>();

  constructor(readonly container: HTMLElement) {}

  update(items: KeyedItem[]): void {
    const keep = new Set<string>();
    let prev: ChildNode | null = null;
    for (const item of items) {
      keep.add(item.key);
      let node = this.nodes.get(item.key);
      if (!node || node.version !== item.version) {
        const el = item.render();
        if (node) node.el.replaceWith(el);
        node = { version: item.version, el };
        this.nodes.set(item.key, node);
      }
      const expected: ChildNode | null = prev ? prev.nextSibling : this.container.firstChild;
      if (expected !== node.el) this.container.insertBefore(node.el, expected);
      prev = node.el;
    }
    for (const [key, node] of this.nodes) {
      if (!keep.has(key)) {
        node.el.remove();
        this.nodes.delete(key);
      }
    }
  }
}
