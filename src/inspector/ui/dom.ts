// Two tiny element builders for the inspector page (HTML and SVG), so views read as markup without a framework.
// Attributes with null, undefined or false values are left out; true sets an empty attribute.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;
export type Child = Node | string | null | undefined | false;

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el: Element, attrs: Attrs | undefined, children: readonly Child[]): void {
  if (attrs !== undefined) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs, children);
  return el;
}

export function button(label: string | Node, testid: string, title: string): HTMLButtonElement {
  return h('button', { type: 'button', 'data-testid': testid, title }, label);
}

/** JSON for a tooltip or a details pane, cut at `max` characters so a huge payload cannot stall the page. */
export function shortJson(value: unknown, max = 4000, indent?: number): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)} …(${text.length - max} more characters)` : text;
}

/** The event type of a payload, or a stand-in when the record carries something else. */
export function eventType(event: unknown): string {
  if (event !== null && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string') {
    return (event as { type: string }).type;
  }
  return '?';
}

/** True when `value` has at most `budget` nodes: cheap to stringify eagerly (walks at most `budget` nodes). */
export function isSmall(value: unknown, budget = 200): boolean {
  let left = budget;
  const walk = (v: unknown): boolean => {
    if (--left < 0) return false;
    if (v === null || typeof v !== 'object') return typeof v !== 'string' || v.length < 200;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (!walk(x)) return false;
    return true;
  };
  return walk(value);
}

/** Text that may wrap after each of its dots (a state path), before it is broken anywhere else. */
export function breakAfterDots(text: string): Node[] {
  const out: Node[] = [];
  const parts = text.split('.');
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    out.push(document.createTextNode(last ? part : `${part}.`));
    if (!last) out.push(h('wbr'));
  });
  return out;
}
