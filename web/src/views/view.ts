/** A mounted piece of UI: its root element and how to release its store subscriptions. */
export interface View {
  el: HTMLElement;
  dispose?: () => void;
}
