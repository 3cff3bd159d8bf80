// The step details pane: what happened at the current step — the delivery (or drop, fault) with its payload as a
// JSON tree, the transitions it caused, the messages it sent, and the violation if this is the step that broke a spec.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h } from './dom.js';
import { jsonTree, type OpenSet } from './jsonTree.js';
import { formatTime, type TraceModel, type TraceRecord } from './model.js';

function shortState(id: unknown, machineRoot: string | undefined): string {
  const s = String(id);
  return machineRoot !== undefined && s.startsWith(`${machineRoot}.`) ? s.slice(machineRoot.length + 1) : s;
}

interface MicroTransition {
  readonly source?: unknown;
  readonly targets?: unknown;
  readonly eventType?: unknown;
}

/** Renders step `step`; reads only that step's records (an index lookup), never the whole trace. */
export function stepDetails(model: TraceModel, step: number, open: OpenSet): HTMLElement {
  const root = h('div', { class: 'step-details' });
  const indices = model.stepRecords[step] ?? [];
  const records = indices.map((i) => model.records[i] as TraceRecord);
  root.append(
    h('div', { class: 'det-title' }, `step ${step}`, h('span', undefined, ` · t = ${formatTime(model.timeAt(step))}`)),
  );

  const v = model.violation;
  if (v !== null && v.step === step) {
    root.append(
      h(
        'div',
        { class: 'det-violation' },
        h('b', undefined, `✖ ${v.spec}${v.specId !== '' ? ` (${v.specId})` : ''}`),
        ` ${v.message}`,
      ),
    );
  }

  if (step === 0) {
    const started = records.filter((r) => r.type === '@xstate.actor').length;
    root.append(h('p', { class: 'det-note' }, `initial state: ${started} actors started`));
  }

  const machineOf = (address: unknown) => model.byAddress.get(String(address))?.machine;
  for (const r of records) {
    switch (r.type) {
      case '@xstate.event':
      case '@statevisor.drop': {
        const drop = r.type === '@statevisor.drop';
        const from =
          typeof r.sourceId === 'string' ? r.sourceId : typeof r.timer === 'string' ? 'timer' : 'environment';
        root.append(
          h(
            'div',
            { class: `det-delivery${drop ? ' drop' : ''}` },
            h('span', { class: 'det-event' }, eventType(r.event)),
            h('div', { class: 'det-route' }, `${from} → ${String(r.sessionId)}`),
            typeof r.timer === 'string' ? h('div', { class: 'det-meta' }, `timer ${r.timer}`) : null,
            drop ? h('div', { class: 'det-meta drop' }, `dropped: ${String(r.reason ?? '')}`) : null,
            typeof r.seq === 'number' ? h('div', { class: 'det-meta' }, `seq ${r.seq}`) : null,
          ),
          h('div', { class: 'det-label' }, 'payload'),
          jsonTree(r.event, open),
        );
        break;
      }
      case '@statevisor.fault':
        root.append(h('div', { class: 'det-fault' }, '⚡ fault'), jsonTree(r.fault, open));
        break;
    }
  }

  const transitions: HTMLElement[] = [];
  for (const r of records) {
    if (r.type !== '@xstate.microstep' || !Array.isArray(r.transitions)) continue;
    const rootId = machineOf(r.sessionId);
    for (const t of r.transitions as MicroTransition[]) {
      const targets = Array.isArray(t.targets) ? t.targets.map((x) => shortState(x, rootId)) : [];
      const ev = typeof t.eventType === 'string' && t.eventType !== '' ? t.eventType : 'always';
      transitions.push(
        h(
          'li',
          undefined,
          h('span', { class: 'det-actor' }, String(r.sessionId)),
          ` ${shortState(t.source, rootId)} → ${targets.length > 0 ? targets.join(', ') : '(stays)'} `,
          h('span', { class: 'det-meta' }, ev),
        ),
      );
    }
  }
  if (transitions.length > 0) {
    const shown = transitions.slice(0, 200);
    root.append(
      h('div', { class: 'det-label' }, `transitions (${transitions.length})`),
      h('ul', { class: 'det-list' }, ...shown),
    );
  }

  const sends = records.filter((r) => r.type === '@statevisor.send');
  if (sends.length > 0) {
    const items = sends.slice(0, 200).map((r) => {
      const fate = String(r.fate ?? 'ok');
      const due = typeof r.due === 'number' ? ` due ${formatTime(r.due)}` : '';
      return h(
        'li',
        { class: fate === 'ok' ? undefined : 'lost', title: JSON.stringify(r.event) },
        `${String(r.sourceId)} → ${String(r.targetId)} `,
        h('span', { class: 'det-event' }, eventType(r.event)),
        h('span', { class: 'det-meta' }, ` ${fate === 'ok' ? '' : `${fate} `}${due}`),
      );
    });
    root.append(h('div', { class: 'det-label' }, `sent (${sends.length})`), h('ul', { class: 'det-list' }, ...items));
  }
  return root;
}
