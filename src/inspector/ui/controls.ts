// The header's transport: first/previous/next/last step, the slider with its markers, the step field, the status
// line and live mode's pause. It draws the current step and reports what the reader asked for; it decides nothing.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { button, h, svg } from './dom.js';
import { Timeline } from './timeline.js';

/** Transport icons drawn as SVG: symbol fonts differ too much between systems to trust a glyph. */
function icon(kind: 'first' | 'prev' | 'next' | 'last'): SVGSVGElement {
  const tri = kind === 'first' || kind === 'prev' ? 'M10,2 L10,12 L3,7 z' : 'M4,2 L4,12 L11,7 z';
  const bar = kind === 'first' ? 'M2,2 h2 v10 h-2 z' : kind === 'last' ? 'M10,2 h2 v10 h-2 z' : '';
  const shift = kind === 'first' ? 'translate(2,0)' : kind === 'last' ? 'translate(-2,0)' : '';
  return svg(
    'svg',
    { class: 'icon', width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true' },
    svg('path', { d: tri, transform: shift || null }),
    bar !== '' ? svg('path', { d: bar }) : null,
  );
}

export interface ControlHooks {
  /** Go to a step; `relative` steps from the current one. */
  goto(step: number, relative: boolean): void;
  last(): number;
  /** The pause button was pressed. */
  togglePause(): void;
}

/** What the bar shows at one step. */
export interface ControlState {
  readonly step: number;
  readonly last: number;
  readonly time: string;
  readonly endText: string;
}

export class Controls {
  readonly el: HTMLElement;
  readonly timeline: Timeline;
  readonly input = h('input', {
    type: 'number',
    min: 0,
    value: 0,
    'data-testid': 'step-input',
    title: 'step (Enter to jump)',
  });
  readonly endInfo = h('span', { class: 'end-info' });
  private readonly status = h('span', { class: 'status', 'data-testid': 'status' });
  private readonly prev = button(icon('prev'), 'step-prev', 'previous step (←, shift: 10 steps)');
  private readonly next = button(icon('next'), 'step-next', 'next step (→, shift: 10 steps)');
  private readonly first = button(icon('first'), 'step-first', 'first step (Home)');
  private readonly lastButton = button(icon('last'), 'step-last', 'last step (End)');
  private readonly slider = h('input', { type: 'range', min: 0, max: 0, value: 0, 'data-testid': 'step-slider' });
  private readonly pause = button('pause', 'live-pause', 'stop following the newest step');
  private readonly liveBadge = h('span', { class: 'live-badge' }, 'live');

  constructor(hooks: ControlHooks, live: boolean) {
    this.timeline = new Timeline(this.slider, (step) => hooks.goto(step, false));
    this.pause.hidden = !live;
    this.liveBadge.hidden = !live;
    this.el = h(
      'div',
      { class: 'controls' },
      this.first,
      this.prev,
      this.next,
      this.lastButton,
      this.timeline.el,
      this.input,
      this.status,
      this.endInfo,
      this.liveBadge,
      this.pause,
    );
    this.prev.addEventListener('click', () => hooks.goto(-1, true));
    this.next.addEventListener('click', () => hooks.goto(1, true));
    this.first.addEventListener('click', () => hooks.goto(0, false));
    this.lastButton.addEventListener('click', () => hooks.goto(hooks.last(), false));
    this.slider.addEventListener('input', () => hooks.goto(Number(this.slider.value), false));
    this.input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      const text = this.input.value.trim();
      const n = Number(text);
      // Hand the keyboard back, so the arrow keys step again; unfocused, the field shows the (clamped) step.
      this.input.blur();
      if (text !== '' && Number.isFinite(n)) hooks.goto(n, false);
      else hooks.goto(0, true);
    });
    this.pause.addEventListener('click', () => hooks.togglePause());
  }

  render(s: ControlState): void {
    this.status.textContent = `step ${s.step} / ${s.last} · t = ${s.time}`;
    this.slider.max = String(s.last);
    this.slider.value = String(s.step);
    this.input.max = String(s.last);
    if (document.activeElement !== this.input) this.input.value = String(s.step);
    this.prev.disabled = s.step <= 0;
    this.first.disabled = s.step <= 0;
    this.next.disabled = s.step >= s.last;
    this.lastButton.disabled = s.step >= s.last;
    this.endInfo.textContent = s.endText;
  }

  setPaused(paused: boolean): void {
    this.pause.textContent = paused ? 'resume' : 'pause';
    this.pause.title = paused ? 'follow the newest step again' : 'stop following the newest step';
    this.pause.classList.toggle('paused', paused);
  }
}
