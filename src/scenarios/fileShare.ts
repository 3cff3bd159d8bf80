// Scenario `file-share` (M12): Dom0 publishes files for a guest in a XenStore-like store; the guest's proxy lists them
// and proxies its file calls over a granted ring, through lost notifications, a Dom0 restart or a malicious guest.

import {
  buildFileShareSystem,
  type FileShareConfig,
  type FileSharePlan,
  fileSharePlan,
} from '../../actors/fileShare.js';
import { callPlan } from '../../dataplane/files.js';
import { isPowerOfTwo } from '../../dataplane/ring.js';
import type { FileGuestContext } from '../../machines/fileGuestMachine.js';
import type { FileProxyContext } from '../../machines/fileProxyMachine.js';
import type { FileServerContext } from '../../machines/fileServerMachine.js';
import type { KeyValueStoreContext } from '../../machines/keyValueStoreMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { fileShareMutants } from '../mutants/fileShare.js';
import { fileCallsAnswered } from '../specs/fileCallsAnswered.js';
import { guestReachesOnlyShared } from '../specs/guestReachesOnlyShared.js';
import { ringStaysInBounds } from '../specs/ringStaysInBounds.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, crashPlan, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, num, US, validateLink } from './paramKit.js';
import type { Assembly, Params } from './types.js';

/** Most bytes of granted ring memory (slots × chunk): 4 MiB keeps the page actor's array bounded. */
export const RING_BYTES_MAX = 4 * 1024 * 1024;

export const FILE_SHARE_PARAMS = {
  slots: int(4, 1, 256, 'request/response slots in the ring (a power of two)'),
  chunkBytes: int(16_384, 1, 65_536, 'data bytes each slot carries: the most one request moves'),
  fileBytes: int(65_536, 16, 16 * 1024 * 1024, 'size of the shared read-write file data.bin'),
  requestBytes: int(4_096, 1, 65_536, 'bytes each read or write of data.bin moves'),
  ops: int(20, 0, 100_000, 'reads and writes of data.bin the guest makes, alternating, after listing the share'),
  probe: { type: 'bool', default: true, description: 'the guest also asks for secret.key, shared only with domain 2' },
  malicious: int(0, 0, 2, 'the guest: 0 honest, 1 writes a garbage req_prod, 2 writes garbage slot contents'),
  startUs: int(20, 0, US.max, 'when the guest makes its first call (µs)'),
  gapUs: int(5, 1, US.max, 'virtual time between one answer and the next call (µs)'),
  ioUs: int(10, 0, US.max, "Dom0's disk cost per request (µs)"),
  nsPerByte: num(1, 0, 1_000, 'virtual ns per byte a request moves (page-cache and grant copies: 1 GB/s)'),
  retryUs: int(200, 1, US.max, "the proxy's re-notify interval while a call is unanswered (µs)"),
  maxRetries: int(3, 0, 1_000, 're-notifications before the proxy fails the call'),
  maxTxRetries: int(3, 0, 1_000, "retries of Dom0's publishing transaction after a conflict"),
  answerWithinUs: int(10_000, 1, US.max, 'every call must be answered or failed within (µs of virtual time)'),
  ...linkParams({ what: 'event-channel', minUs: 2, maxUs: 6, dropRate: 0, delayUs: 50 }),
  ...crashParams('dom0Crash', 'Dom0'),
} as const;

type Values = Readonly<Record<string, number | boolean | string>>;

export function validateFileShare(p: Values): void {
  const slots = p.slots as number;
  if (!isPowerOfTwo(slots)) throw new InputError(`slots: expected a power of two, got ${slots}`);
  if ((p.requestBytes as number) > (p.chunkBytes as number)) {
    throw new InputError(`requestBytes: ${p.requestBytes} exceeds a slot's chunk of ${p.chunkBytes} bytes`);
  }
  if ((p.requestBytes as number) > (p.fileBytes as number)) {
    throw new InputError(`requestBytes: ${p.requestBytes} exceeds data.bin's ${p.fileBytes} bytes`);
  }
  if (slots * (p.chunkBytes as number) > RING_BYTES_MAX) {
    throw new InputError(
      `slots/chunkBytes: ${slots * (p.chunkBytes as number)} bytes of ring data; at most ${RING_BYTES_MAX}`,
    );
  }
  const worst = ((p.maxRetries as number) + 1) * (p.retryUs as number);
  if ((p.answerWithinUs as number) <= worst) {
    throw new InputError(
      `answerWithinUs: ${p.answerWithinUs} is not above the proxy's ${worst} µs of re-notifications`,
    );
  }
  validateLink(p);
  validateCrashWindows(p, ['dom0Crash']);
}

function configOf(p: Values): FileShareConfig {
  const geometry = { slots: p.slots as number, chunkBytes: p.chunkBytes as number };
  const probe = p.probe === true ? 'secret.key' : '';
  const calls = callPlan({
    ops: p.ops as number,
    requestBytes: p.requestBytes as number,
    fileBytes: p.fileBytes as number,
    probe,
  });
  return {
    ...{ geometry, fileBytes: p.fileBytes as number, calls, startUs: p.startUs as number, gapUs: p.gapUs as number },
    ...{ ioUs: p.ioUs as number, nsPerByte: p.nsPerByte as number, retryUs: p.retryUs as number },
    ...{ maxRetries: p.maxRetries as number, maxTxRetries: p.maxTxRetries as number, malicious: p.malicious as number },
    ...{ link: linkOf(p), maxDrops: p.maxDrops as number, maxDelays: p.maxDelays as number },
    faults: crashPlan(p, 'dom0Crash', 'dom0'),
  };
}

/** Per proxied call (listing excluded), the virtual time from the call reaching the proxy to its answer. */
export class FileShareObserver {
  readonly latenciesUs: number[] = [];
  private readonly startedAt: { id: number; t: number }[] = [];
  private readonly proxy: number;
  private readonly app: number;

  constructor(kernel: Kernel, plan: FileSharePlan) {
    this.proxy = kernel.indexOf(plan.proxy);
    this.app = kernel.indexOf(plan.app);
  }

  readonly onStep = (r: StepResult): void => {
    if (r.kind !== 'delivered') return;
    const e = r.item.event as { type: string; id?: number; op?: string };
    if (r.item.to === this.proxy && e.type === 'fproxy.call' && e.op !== 'list') {
      this.startedAt.push({ id: e.id as number, t: r.state.time });
    } else if (r.item.to === this.app && (e.type === 'fguest.done' || e.type === 'fguest.failed')) {
      const i = this.startedAt.findIndex((s) => s.id === e.id);
      if (i >= 0) this.latenciesUs.push(r.state.time - (this.startedAt.splice(i, 1)[0] as { t: number }).t);
    }
  };
}

/** What `build` returns: the kernel and specs, the plan, and the observer whose findings `summarize` reports. */
export interface FileShareAssembly extends Assembly {
  readonly plan: FileSharePlan;
  readonly observer: FileShareObserver;
}

function assemblyOf(a: Assembly): FileShareAssembly {
  const { observer, plan } = a as Partial<FileShareAssembly>;
  if (!(observer instanceof FileShareObserver) || plan === undefined) {
    throw new Error('file-share: an assembly its build did not make');
  }
  return a as FileShareAssembly;
}

function ctx<T>(k: Kernel, s: SystemState, address: string): T {
  return k.snapshotOf(s, address).context as T;
}

const goal = (name: string, description: string, f: (k: Kernel, s: SystemState) => boolean): Sometimes => ({
  name,
  description,
  reached: f,
});

const plan0 = fileSharePlan({ slots: 1, chunkBytes: 1 }, 16);
const GOALS: Sometimes[] = [
  goal(
    'bytes-read',
    'the guest read bytes of a shared file through the ring',
    (k, s) => ctx<FileGuestContext>(k, s, plan0.app).stats.bytesIn > 0,
  ),
  goal(
    'access-denied',
    'Dom0 refused a call on a file not shared with the guest',
    (k, s) => ctx<FileGuestContext>(k, s, plan0.app).stats.errors > 0,
  ),
  goal(
    'ring-rejected',
    "Dom0 rejected the guest's ring contents with a logged error",
    (k, s) => ctx<FileServerContext>(k, s, plan0.server).stats.rejected > 0,
  ),
  goal(
    'call-failed',
    'the proxy failed a call cleanly after its re-notifications',
    (k, s) => ctx<FileGuestContext>(k, s, plan0.app).stats.failed > 0,
  ),
];

/** The small world of the check configurations: a 2-slot ring of 16-byte chunks, a 32-byte data file, 8-byte reads. */
const SMALL = {
  slots: '2',
  chunkBytes: '16',
  fileBytes: '32',
  requestBytes: '8',
  ops: '1',
  startUs: '4',
  ioUs: '2',
  nsPerByte: '0',
  retryUs: '40',
  maxRetries: '2',
  answerWithinUs: '400',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
};

export function fileShareMetrics(a: FileShareAssembly, s: SystemState) {
  const { kernel: k, plan } = a;
  const guest = ctx<FileGuestContext>(k, s, plan.app).stats;
  const proxy = ctx<FileProxyContext>(k, s, plan.proxy).stats;
  const server = ctx<FileServerContext>(k, s, plan.server);
  const store = ctx<KeyValueStoreContext>(k, s, plan.store).stats;
  const lat = a.observer.latenciesUs;
  const totalUs = lat.reduce((x, y) => x + y, 0);
  const moved = guest.bytesIn + guest.bytesOut;
  return {
    calls: proxy.calls,
    ok: guest.ok,
    errors: guest.errors,
    failed: guest.failed,
    listed: guest.listed,
    bytesIn: guest.bytesIn,
    bytesOut: guest.bytesOut,
    meanLatencyUs: lat.length === 0 ? 0 : Math.round((10 * totalUs) / lat.length) / 10,
    maxLatencyUs: lat.reduce((x, y) => Math.max(x, y), 0),
    throughputMBps: totalUs === 0 ? 0 : Math.round((100 * moved) / totalUs) / 100,
    renotifies: proxy.renotifies,
    rejected: server.stats.rejected,
    denied: server.stats.denied,
    firstError: server.errors[0] ?? '',
    txConflicts: store.conflicts,
    storeCommits: store.commits,
  };
}

export const fileShareScenario = defineScenario({
  name: 'file-share',
  title: 'Trusted file indirection: a guest proxies its file calls on shared files to Dom0 over a granted ring',
  untilUs: 1_000_000_000,
  params: FILE_SHARE_PARAMS,
  swarm: {
    malicious: ['0', '0', '1', '2'],
    dropRate: ['0', '0.05', '0.2'],
    requestBytes: ['64', '1024', '4096'],
    dom0CrashFromUs: ['-1', '-1', '100'],
    dom0CrashToUs: ['2000'],
  },
  checks: [
    {
      name: 'ring',
      params: { ...SMALL, dropRate: '0.2', maxDrops: '1' },
      untilUs: 1_000,
      reach: ['bytes-read', 'access-denied'],
      note: '2-slot ring, a listing, one 8-byte read and a read of secret.key; event-channel latency 2..4 µs, one lost notification',
    },
    {
      name: 'malicious',
      params: { ...SMALL, malicious: '1', ops: '3', probe: 'false' },
      untilUs: 1_000,
      reach: ['ring-rejected', 'call-failed'],
      note: 'as ring, no loss, three calls; the guest writes a garbage req_prod: Dom0 rejects it, the proxy fails each call, the last on a full ring',
    },
    {
      name: 'garbage-slot',
      params: { ...SMALL, malicious: '2', ops: '1', probe: 'false' },
      untilUs: 1_000,
      reach: ['ring-rejected'],
      note: 'as ring, no loss; the guest writes an unknown op and a 4 GiB length into its slot: Dom0 must answer EINVAL',
    },
    {
      name: 'restart',
      params: { ...SMALL, dom0CrashFromUs: '8', dom0CrashToUs: '40', dom0CrashStepUs: '16', dom0CrashRestartUs: '10' },
      untilUs: 1_000,
      reach: ['bytes-read', 'access-denied'],
      note: 'as ring, no loss; Dom0 crashes at 8, 24 or 40 µs (publishing, mid-request, between calls) and restarts 10 µs later',
    },
  ],
  validate: validateFileShare,
  build(p: Params) {
    const { kernel, plan } = buildFileShareSystem(configOf(p));
    const observer = new FileShareObserver(kernel, plan);
    const specs = [
      guestReachesOnlyShared(plan),
      ringStaysInBounds(plan),
      fileCallsAnswered(plan, p.answerWithinUs as number),
    ];
    const assembly: FileShareAssembly = { kernel, specs, sometimes: GOALS, plan, observer, onStep: observer.onStep };
    return assembly;
  },
  summarize(a, result) {
    const m = fileShareMetrics(assemblyOf(a), result.state);
    const faults = formatFaults(result.faults);
    const lines = [
      `share    the guest listed ${m.listed} shared files; ${m.storeCommits} store commits, ${m.txConflicts} transaction conflicts`,
      `calls    ${m.calls} calls: ${m.ok} ok, ${m.errors} refused by Dom0, ${m.failed} failed cleanly (${m.renotifies} re-notifications)`,
      `latency  mean ${m.meanLatencyUs} µs, max ${m.maxLatencyUs} µs per proxied call; ${m.throughputMBps} MB/s (${m.bytesIn} B read, ${m.bytesOut} B written)`,
      `ring     ${m.rejected} ring contents rejected by Dom0 with a logged error${m.firstError ? `, first: ${m.firstError}` : ''}`,
      ...(faults ? [`faults   ${faults}`] : []),
    ];
    return { lines, metrics: m };
  },
  mutants: fileShareMutants,
});
