// Assembly of trusted file indirection (M12): Dom0 with its file server, the key-value store in its own stub domain,
// the guest with its file proxy and workload, and the page the guest granted for the ring. Specs read the plan.

import { bootBytes, type FileCall, type FileSpec } from '../dataplane/files.js';
import { type RingGeometry, regionBytes } from '../dataplane/ring.js';
import { fileGuestMachine } from '../machines/fileGuestMachine.js';
import { fileProxyMachine } from '../machines/fileProxyMachine.js';
import { fileServerMachine } from '../machines/fileServerMachine.js';
import { grantPageMachine } from '../machines/grantPageMachine.js';
import { keyValueStoreMachine } from '../machines/keyValueStoreMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const DOM0_HOST = 'dom0';
export const GUEST_HOST = 'guest';
/** XenStore in a stub domain (as xenstore-stubdom runs it): it outlives a Dom0 restart. */
export const XS_HOST = 'xs';
/** The granted page: guest memory both sides map; memory accesses are never lost. */
export const GRANT_HOST = 'grant';
export const GUEST_DOMAIN = 1;

export interface FileSharePlan {
  readonly dom0Host: string;
  readonly guestHost: string;
  readonly store: string;
  readonly server: string;
  readonly proxy: string;
  readonly app: string;
  readonly ring: string;
  readonly guestDomain: number;
  readonly geometry: RingGeometry;
  /** Dom0's disk: what it publishes for whom, and what it never publishes. */
  readonly files: readonly FileSpec[];
}

export interface FileShareConfig {
  readonly geometry: RingGeometry;
  readonly fileBytes: number;
  readonly calls: readonly FileCall[];
  readonly startUs: number;
  readonly gapUs: number;
  readonly ioUs: number;
  readonly nsPerByte: number;
  readonly retryUs: number;
  readonly maxRetries: number;
  readonly maxTxRetries: number;
  readonly malicious: number;
  /** The event channel between the guest and Dom0: latency, loss, late notifications. */
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

/** Dom0's files: two shared with the guest, one shared only with another guest (domain 2), one never published. */
export function shareFiles(fileBytes: number): FileSpec[] {
  return [
    { name: 'data.bin', size: fileBytes, readers: [GUEST_DOMAIN], writers: [GUEST_DOMAIN] },
    { name: 'notes.txt', size: 64, readers: [GUEST_DOMAIN], writers: [] },
    { name: 'secret.key', size: 64, readers: [2], writers: [2] },
    { name: 'dom0.conf', size: 64, readers: null, writers: [] },
  ];
}

export function fileSharePlan(geometry: RingGeometry, fileBytes: number): FileSharePlan {
  return {
    dom0Host: DOM0_HOST,
    guestHost: GUEST_HOST,
    store: `${XS_HOST}/store`,
    server: `${DOM0_HOST}/server`,
    proxy: `${GUEST_HOST}/proxy`,
    app: `${GUEST_HOST}/app`,
    ring: `${GRANT_HOST}/ring`,
    guestDomain: GUEST_DOMAIN,
    geometry,
    files: shareFiles(fileBytes),
  };
}

export function buildFileShareSystem(c: FileShareConfig): { kernel: Kernel; plan: FileSharePlan } {
  const plan = fileSharePlan(c.geometry, c.fileBytes);
  const g = c.geometry;
  const shares = plan.files.flatMap((f) =>
    f.readers === null ? [] : [{ name: f.name, readers: f.readers, writers: f.writers }],
  );
  const kernel = defineSystem({
    actors: {
      [plan.store]: { machine: keyValueStoreMachine, input: { maxNodes: 64, maxWatches: 8, maxTx: 8 } },
      [plan.server]: {
        machine: fileServerMachine,
        input: {
          ...{ self: plan.server, domain: 0, guestDomain: plan.guestDomain, store: plan.store, ring: plan.ring },
          ...{ proxy: plan.proxy, slots: g.slots, chunkBytes: g.chunkBytes, shares },
          files: plan.files.map((f) => ({ name: f.name, bytes: bootBytes(f) })),
          ...{ ioUs: c.ioUs, nsPerByte: c.nsPerByte, maxTxRetries: c.maxTxRetries, maxErrors: 16 },
        },
      },
      [plan.ring]: { machine: grantPageMachine, input: { bytes: regionBytes(g) } },
      [plan.proxy]: {
        machine: fileProxyMachine,
        input: {
          ...{ self: plan.proxy, domain: plan.guestDomain, store: plan.store, server: plan.server, ring: plan.ring },
          ...{ guest: plan.app, slots: g.slots, chunkBytes: g.chunkBytes, retryUs: c.retryUs },
          ...{ maxRetries: c.maxRetries, queueMax: 4, malicious: c.malicious },
        },
      },
      [plan.app]: {
        machine: fileGuestMachine,
        input: { proxy: plan.proxy, calls: c.calls, startUs: c.startUs, gapUs: c.gapUs },
      },
    },
    localLatencyUs: 1,
    defaultLink: { latencyUs: { min: 1, max: 1 } },
    links: { [`${DOM0_HOST}<->${GUEST_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
  });
  return { kernel, plan };
}
