// Tests of the real lease server, client and adapter over real sockets: the protocol by clock readings, each planted
// bug's wrong behaviour, and the adapter driven by hand against the charts of examples/lease-handover.ts.

import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  initialTransition,
  transition,
} from 'xstate';
import { leaseServer, node } from '../../examples/lease-handover.js';
import sut, { LeasePair, leaseParams, waitUntil } from '../../impls/lease/adapter.js';
import { LeaseClient, type LeaseClientBug } from '../../impls/lease/client.js';
import lateSut from '../../impls/lease/lateAdapter.js';
import { type LeaseServerBug, readLines, startLeaseServer } from '../../impls/lease/server.js';
import type { SutDelivery, SutInstance, SutOutput } from '../../src/sut/types.js';

/** Everything a test opened, closed after it whatever happened. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

/** One end of a connection that collects the lines it reads. */
class Peer {
  readonly lines: string[] = [];
  private taken = 0;

  constructor(readonly socket: Socket) {
    readLines(socket, (line) => this.lines.push(line));
    socket.on('error', () => socket.destroy());
    cleanups.push(async () => {
      socket.destroy();
    });
  }

  static connect(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => resolve(new Peer(socket)));
    });
  }

  /** The lines read up to the next DONE, without it. */
  async untilDone(): Promise<string[]> {
    await waitUntil(
      () => this.lines.indexOf('DONE', this.taken) >= 0,
      'a DONE',
      () => null,
    );
    const end = this.lines.indexOf('DONE', this.taken);
    const out = this.lines.slice(this.taken, end);
    this.taken = end + 1;
    return out;
  }

  /** The next `n` lines. */
  async next(n = 1): Promise<string[]> {
    await waitUntil(
      () => this.lines.length >= this.taken + n,
      `${n} lines`,
      () => null,
    );
    this.taken += n;
    return this.lines.slice(this.taken - n, this.taken);
  }

  write(line: string): void {
    this.socket.write(`${line}\n`);
  }
}

async function server(bug?: LeaseServerBug): Promise<{ port: number; count: () => number }> {
  const s = await startLeaseServer({ leaseUs: 10_000, ...(bug !== undefined ? { bug } : {}) });
  cleanups.push(() => s.close());
  return { port: s.port, count: () => s.connectionCount() };
}

/** Connections to a server, all accepted before the first line (DONE goes to the connections it has). */
async function peers(s: { port: number; count: () => number }, n: number): Promise<Peer[]> {
  const out: Peer[] = [];
  for (let i = 0; i < n; i++) out.push(await Peer.connect(s.port));
  await waitUntil(
    () => s.count() === n,
    'the server accepting',
    () => null,
  );
  return out;
}

/** Writes a line on `via` and returns what each peer read up to its DONE. */
async function exchange(via: Peer, line: string, all: readonly Peer[]): Promise<string[][]> {
  via.write(line);
  const out: string[][] = [];
  for (const p of all) out.push(await p.untilDone());
  return out;
}

describe('lease server', () => {
  it('grants, refuses, renews and expires by the clock readings its lines carry', async () => {
    const s = await server();
    const [a, b, c] = (await peers(s, 3)) as [Peer, Peer, Peer];
    const all = [a, b, c];
    expect(await exchange(a, 'REQ a 1 100', all)).toEqual([['GRANTED 1 1'], [], []]);
    expect(await exchange(b, 'REQ b 1 200', all)).toEqual([[], ['BUSY 1'], []]);
    expect(await exchange(c, 'REQ c 1 300', all)).toEqual([[], [], ['BUSY 1']]);
    expect(await exchange(a, 'TICK 5000', all)).toEqual([[], [], []]);
    // The holder renews: same term, and the lease runs from the renewal (to 16000), not from the grant (10100).
    expect(await exchange(a, 'REQ a 2 6000', all)).toEqual([['GRANTED 1 2'], [], []]);
    expect(await exchange(a, 'TICK 10100', all)).toEqual([[], [], []]);
    expect(await exchange(a, 'TICK 15997', all)).toEqual([[], [], []]);
    // 2 µs short of the deadline is on time (a kernel timer may read 1 µs short); every waiter hears it is free.
    expect(await exchange(a, 'TICK 15998', all)).toEqual([[], ['FREE'], ['FREE']]);
    expect(await exchange(c, 'REQ c 2 16100', all)).toEqual([[], [], ['GRANTED 2 2']]);
    expect(await exchange(b, 'REQ b 2 16200', all)).toEqual([[], ['BUSY 2'], []]);
    expect(await exchange(a, 'TICK 26100', all)).toEqual([[], ['FREE'], []]);
    // Free again: the next grant is a new term, whoever asks.
    expect(await exchange(a, 'REQ a 3 26200', all)).toEqual([['GRANTED 3 3'], [], []]);
  });

  it('answers a line it cannot read with ERR, and still says DONE everywhere', async () => {
    const s = await server();
    const [a, b] = (await peers(s, 2)) as [Peer, Peer];
    const [fromA, fromB] = await exchange(a, 'REQ a one 100', [a, b]);
    expect(fromA).toHaveLength(1);
    expect(fromA?.[0]).toMatch(/^ERR expected 'REQ <node> <req> <nowUs>'/);
    expect(fromB).toEqual([]);
  });

  it('grants-while-held: a second node gets a new term while the first still holds it', async () => {
    const s = await server('grants-while-held');
    const [a, b] = (await peers(s, 2)) as [Peer, Peer];
    expect(await exchange(a, 'REQ a 1 100', [a, b])).toEqual([['GRANTED 1 1'], []]);
    expect(await exchange(b, 'REQ b 1 200', [a, b])).toEqual([[], ['GRANTED 2 1']]);
  });

  it('never-expires: a tick long past the lease frees nothing', async () => {
    const s = await server('never-expires');
    const [a, b] = (await peers(s, 2)) as [Peer, Peer];
    expect(await exchange(a, 'REQ a 1 100', [a, b])).toEqual([['GRANTED 1 1'], []]);
    expect(await exchange(b, 'REQ b 1 200', [a, b])).toEqual([[], ['BUSY 1']]);
    expect(await exchange(a, 'TICK 1000000', [a, b])).toEqual([[], []]);
    expect(await exchange(b, 'REQ b 2 1000100', [a, b])).toEqual([[], ['BUSY 2']]);
  });
});

/** A client connected to a fake server the test plays, with a clock the test sets. */
async function clientUnderTest(bug?: LeaseClientBug) {
  const fake: Server = createServer();
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => fake.close(() => resolve())));
  const accepted = new Promise<Peer>((resolve) => fake.once('connection', (s) => resolve(new Peer(s))));
  const address = fake.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const clock = { nowUs: 0 };
  const acts: number[] = [];
  const client = await LeaseClient.connect({
    self: 'n',
    host: '127.0.0.1',
    port: address.port,
    ...leaseParams(),
    clock: () => clock.nowUs,
    onAct: (term) => acts.push(term),
    ...(bug !== undefined ? { bug } : {}),
  });
  cleanups.push(() => client.close());
  const peer = await accepted;
  /** The fake server writes a line, read by the client at `nowUs`. */
  const say = async (line: string, nowUs: number) => {
    clock.nowUs = nowUs;
    const handled = client.handled;
    peer.write(line);
    await waitUntil(
      () => client.handled > handled,
      `the client reading '${line}'`,
      () => client.failure,
    );
  };
  return { client, peer, acts, say };
}

describe('lease client', () => {
  it('asks at start, acts every actUs while its lease holds, renews once, and steps down after its terms', async () => {
    const { client, peer, acts, say } = await clientUnderTest();
    client.start(0);
    expect(await peer.next()).toEqual(['REQ n 1 0']);
    await say('GRANTED 1 1', 300);
    expect(acts).toEqual([1]);
    // Its countdown runs from the request (0), not the grant: 10000 - 2000 margin.
    expect(client.pendingAlarms()).toEqual([
      { kind: 'act', atUs: 1300, req: 0 },
      { kind: 'renew', atUs: 5300, req: 0 },
      { kind: 'lapse', atUs: 8000, req: 1 },
    ]);
    expect(client.tick(1000)).toBeNull();
    for (const t of [1299, 2299, 3299, 4299]) expect(client.tick(t)).toBe('act');
    expect(acts).toEqual([1, 1, 1, 1, 1]);
    // The act (5299) and the renewal (5300) fall due at once: told which timer fired, it fires that one.
    expect(client.tick(5300, 'renew')).toBe('renew');
    expect(await peer.next()).toEqual(['REQ n 2 5300']);
    expect(client.tick(5300, 'act')).toBe('act');
    await say('GRANTED 1 2', 5500);
    expect(client.grants).toBe(2);
    // The first grant's countdown is gone; the renewal's runs from 5300; no further renewal (terms = 2).
    expect(client.pendingAlarms()).toEqual([
      { kind: 'act', atUs: 6300, req: 0 },
      { kind: 'lapse', atUs: 13300, req: 2 },
    ]);
    for (let t = 6300; t <= 13300; t += 1000) expect(client.tick(t, 'act')).toBe('act');
    expect(client.tick(13300, 'lapse')).toBe('lapse');
    expect(client.phase).toBe('retired');
    expect(client.pendingAlarms()).toEqual([]);
    expect(acts).toHaveLength(14);
    expect(client.sent).toBe(2);
  });

  it('stands by on BUSY and asks again on FREE, at the clock reading of the FREE', async () => {
    const { client, peer, acts, say } = await clientUnderTest();
    client.start(1000);
    expect(await peer.next()).toEqual(['REQ n 1 1000']);
    await say('BUSY 1', 1200);
    expect(client.phase).toBe('standingBy');
    expect(client.pendingAlarms()).toEqual([]);
    await say('GRANTED 1 1', 1300);
    expect(acts).toEqual([]);
    await say('FREE', 9000);
    expect(await peer.next()).toEqual(['REQ n 2 9000']);
    await say('GRANTED 2 2', 9200);
    expect(acts).toEqual([2]);
  });

  it('asks again when its lease runs out by its own clock while it wants more terms', async () => {
    const { client, peer, say } = await clientUnderTest();
    client.start(0);
    await say('GRANTED 1 1', 200);
    expect(client.tick(5200, 'renew')).toBe('renew');
    expect(await peer.next(2)).toEqual(['REQ n 1 0', 'REQ n 2 5200']);
    // No answer to the renewal: the first grant's countdown ends the lease at 8000, not a moment before.
    expect(client.tick(7990, 'lapse')).toBeNull();
    expect(client.phase).toBe('leading');
    expect(client.tick(8000, 'lapse')).toBe('lapse');
    expect(client.phase).toBe('asking');
    expect(await peer.next()).toEqual(['REQ n 3 8000']);
  });

  it('ignores-margin: it still leads when its lease is margin short of running out', async () => {
    const { client, say } = await clientUnderTest('ignores-margin');
    client.start(0);
    await say('GRANTED 1 1', 200);
    client.tick(5200, 'renew');
    expect(client.tick(8000, 'lapse')).toBeNull();
    expect(client.phase).toBe('leading');
    expect(client.tick(10_000, 'lapse')).toBe('lapse');
  });

  it('renews-without-asking: at renewal time it writes nothing and believes a lease the server never gave', async () => {
    const { client, peer, acts, say } = await clientUnderTest('renews-without-asking');
    client.start(0);
    expect(await peer.next()).toEqual(['REQ n 1 0']);
    await say('GRANTED 1 1', 200);
    expect(client.tick(5200, 'renew')).toBe('renew');
    expect(client.sent).toBe(1);
    expect(client.heldReq).toBe(2);
    // Past the server's expiry (10000 from its request) it still acts under term 1.
    expect(client.tick(8000, 'lapse')).toBe('lapse');
    expect(client.phase).toBe('leading');
    client.tick(11_000, 'act');
    expect(acts.at(-1)).toBe(1);
    expect(client.phase).toBe('leading');
  });
});

/** A chart stepped with XState's pure transition: the reference for what the real code must send. */
class Chart {
  private snapshot: AnyMachineSnapshot;

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly self: string,
    input: unknown,
  ) {
    [this.snapshot] = initialTransition(machine, input);
  }

  step(event: AnyEventObject): SutOutput[] {
    const [next, actions] = transition(this.machine, this.snapshot, event);
    this.snapshot = next;
    // Executable actions are typed by the machine's own kinds; an emit's params carry the emitted event.
    return (actions as readonly { type: string; params?: unknown }[])
      .filter((a) => a.type === 'xstate.emit')
      .map((a) => (a.params as { event: { type: string; to: string; event: AnyEventObject } }).event)
      .filter((e) => e.type === 'send')
      .map((e) => ({ from: this.self, to: e.to, event: e.event }));
  }
}

const A = 'nodeA/node';
const B = 'nodeB/node';
const S = 'server/lease';

function charts(): Record<string, Chart> {
  const p = leaseParams();
  const nodeInput = { server: S, store: 'store/log', ...p };
  return {
    [S]: new Chart(leaseServer, S, { leaseUs: p.leaseUs }),
    [A]: new Chart(node, A, { ...nodeInput, self: A, startUs: 0 }),
    [B]: new Chart(node, B, { ...nodeInput, self: B, startUs: 1000 }),
  };
}

const timers = new Set(['node.start', 'node.act', 'node.renew', 'lease.lapsed', 'lease.expired']);

function delivery(to: string, event: AnyEventObject, nowUs: number): SutDelivery {
  const timer = timers.has(event.type);
  const from = timer ? null : to === S ? (event.from as string) : S;
  return { to, from, event, timer, tUs: nowUs, nowUs };
}

async function started(adapter: typeof sut, variant?: string): Promise<SutInstance> {
  const inst = await adapter.start(variant === undefined ? { params: {} } : { variant, params: {} });
  cleanups.push(() => inst.stop());
  for (const actor of adapter.actors) await inst.boot(actor, 0);
  expect(await inst.observe()).toEqual([]);
  return inst;
}

/** A leads two terms, B waits, A's lease runs out, B takes over (no drift: every clock reads virtual time). */
const handover: readonly [string, AnyEventObject, number][] = [
  [A, { type: 'node.start' }, 0],
  [S, { type: 'lease.request', from: A, req: 1 }, 100],
  [A, { type: 'lease.granted', term: 1, req: 1 }, 200],
  [B, { type: 'node.start' }, 1000],
  [S, { type: 'lease.request', from: B, req: 1 }, 1100],
  [A, { type: 'node.act' }, 1200],
  [B, { type: 'lease.busy', req: 1 }, 1200],
  [A, { type: 'node.renew' }, 5200],
  [S, { type: 'lease.request', from: A, req: 2 }, 5300],
  [A, { type: 'lease.granted', term: 1, req: 2 }, 5400],
  [A, { type: 'lease.lapsed', req: 2 }, 13_200],
  [S, { type: 'lease.expired' }, 15_300],
  [B, { type: 'lease.free' }, 15_400],
  [S, { type: 'lease.request', from: B, req: 2 }, 15_500],
  [B, { type: 'lease.granted', term: 2, req: 2 }, 15_600],
];

describe('lease adapter', () => {
  it('driven by hand through a handover, sends exactly what the charts send, step by step', async () => {
    const inst = await started(sut);
    const chart = charts();
    const seen: string[] = [];
    for (const [to, event, nowUs] of handover) {
      await inst.send(delivery(to, event, nowUs));
      const real = await inst.observe();
      expect(real, `${event.type} to ${to} at ${nowUs}`).toEqual((chart[to] as Chart).step(event));
      for (const o of real) seen.push(`${o.from} ${o.event.type} ${o.to}`);
    }
    expect(seen).toEqual([
      `${A} lease.request ${S}`,
      `${S} lease.granted ${A}`,
      `${A} leader.act store/log`,
      `${B} lease.request ${S}`,
      `${S} lease.busy ${B}`,
      `${A} leader.act store/log`,
      `${A} lease.request ${S}`,
      `${S} lease.granted ${A}`,
      `${S} lease.free ${B}`,
      `${B} lease.request ${S}`,
      `${S} lease.granted ${B}`,
      `${B} leader.act store/log`,
    ]);
  });

  it('a planted server bug shows in the messages: grants-while-held grants B a second term', async () => {
    const inst = await started(sut, 'server:grants-while-held');
    for (const [to, event, nowUs] of handover.slice(0, 4)) {
      await inst.send(delivery(to, event, nowUs));
      await inst.observe();
    }
    await inst.send(delivery(S, { type: 'lease.request', from: B, req: 1 }, 1100));
    expect(await inst.observe()).toEqual([{ from: S, to: B, event: { type: 'lease.granted', term: 2, req: 1 } }]);
  });

  it('a crash loses the component and a boot starts a fresh one', async () => {
    const inst = await started(sut);
    for (const [to, event, nowUs] of handover.slice(0, 3)) await inst.send(delivery(to, event, nowUs));
    await inst.observe();
    await inst.crash?.(A, 300);
    await expect(inst.send(delivery(A, { type: 'node.act' }, 1200))).rejects.toThrow(/nodeA\/node, which is down/);
    await inst.boot(A, 400);
    await inst.send(delivery(A, { type: 'node.start' }, 500));
    expect(await inst.observe()).toEqual([{ from: A, to: S, event: { type: 'lease.request', from: A, req: 1 } }]);
    // A fresh server has forgotten the lease and its term.
    await inst.crash?.(S, 600);
    await inst.boot(S, 700);
    await inst.send(delivery(S, { type: 'lease.request', from: B, req: 1 }, 800));
    expect(await inst.observe()).toEqual([{ from: S, to: B, event: { type: 'lease.granted', term: 1, req: 1 } }]);
  });

  it('rejects a delivery it cannot map, naming it', async () => {
    const inst = await started(sut);
    await expect(inst.send(delivery(S, { type: 'lease.released' }, 0))).rejects.toThrow(/lease\.released/);
    await expect(inst.send({ ...delivery(A, { type: 'node.act' }, 0), timer: false })).rejects.toThrow(/node\.act/);
  });

  it('the late adapter: what a delivery caused shows up one observe late', async () => {
    expect(lateSut.name).toBe('lease-pair-late');
    const inst = await started(lateSut);
    if (!(inst instanceof LeasePair)) throw new Error('the late adapter runs a LeasePair');
    const expected: SutOutput[][] = [
      [{ from: A, to: S, event: { type: 'lease.request', from: A, req: 1 } }],
      [{ from: S, to: A, event: { type: 'lease.granted', term: 1, req: 1 } }],
      [{ from: A, to: 'store/log', event: { type: 'leader.act', from: A, term: 1 } }],
    ];
    for (const [i, [to, event, nowUs]] of handover.slice(0, 3).entries()) {
      await inst.send(delivery(to, event, nowUs));
      expect(await inst.observe()).toEqual([]);
      await inst.settle();
      expect(await inst.observe()).toEqual(expected[i]);
    }
  });
});
