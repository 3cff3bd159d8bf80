// Tests of the output-commit proxy and its statevisor adapter through real sockets on 127.0.0.1: the correct proxy's
// epoch semantics, each planted bug's wrong behaviour, and the adapter driven by hand as the test runner would.

import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEventObject } from 'xstate';
import adapter from '../../impls/outputCommit/adapter.js';
import { type ProxyBug, startProxy } from '../../impls/outputCommit/proxy.js';
import type { SutDelivery, SutInstance } from '../../src/sut/types.js';

const HOST = '127.0.0.1';
/** Everything a test opened, closed after it whether it passed or not. */
const toClose: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

async function destroy(socket: net.Socket): Promise<void> {
  if (socket.closed) return;
  const closed = once(socket, 'close');
  socket.destroy();
  await closed;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: HOST, port });
  toClose.push(() => destroy(socket));
  await once(socket, 'connect');
  return socket;
}

/** The outside client: a server that keeps every byte the proxy sends it. */
async function openDownstream(): Promise<{ port: number; text: () => string; reached: (n: number) => Promise<void> }> {
  let text = '';
  const waiters = new Set<() => void>();
  const server = net.createServer((socket) => {
    toClose.push(() => destroy(socket));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (const wake of [...waiters]) wake();
    });
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  toClose.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const reached = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        if (text.length < n) return;
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
      wake();
    });
  return { port: address.port, text: () => text, reached };
}

/** A proxy wired to a downstream server, a guest (upstream) socket and a controller (`ask` one line, get one back). */
async function openProxy(options: { bug?: ProxyBug; maxHeldBytes?: number } = {}) {
  const down = await openDownstream();
  const proxy = await startProxy({ downstream: { host: HOST, port: down.port }, ...options });
  toClose.push(() => proxy.close());
  const up = await connect(proxy.upstreamPort);
  const control = await connect(proxy.controlPort);
  control.setEncoding('latin1');
  const answers: string[] = [];
  let partial = '';
  let wake: (() => void) | null = null;
  control.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    answers.push(...lines);
    wake?.();
  });
  const ask = async (line: string): Promise<string> => {
    control.write(`${line}\n`);
    while (answers.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return answers.shift() ?? '';
  };
  return { proxy, up, ask, down };
}

/** Releases `e` and waits until everything the proxy says it released has arrived downstream. */
async function release(rig: Awaited<ReturnType<typeof openProxy>>, e: number): Promise<string> {
  const answer = await rig.ask(`RELEASE ${e}`);
  await rig.down.reached(Number(/released=(\d+)$/.exec(answer)?.[1] ?? 'NaN'));
  return answer;
}

describe('output-commit proxy (correct)', () => {
  it('holds guest bytes until their epoch is released', async () => {
    const rig = await openProxy();
    rig.up.write('x\ny\n');
    expect(await rig.ask('SYNC 4')).toBe('OK upstream=4 released=0');
    expect(await rig.ask('PLUG 2')).toBe('OK upstream=4 released=0');
    expect(rig.down.text()).toBe('');
    expect(await release(rig, 1)).toBe('OK upstream=4 released=4');
    expect(rig.down.text()).toBe('x\ny\n');
  });

  it('releases epoch by epoch, in arrival order, and ignores repeats and stale plugs', async () => {
    const rig = await openProxy();
    rig.up.write('a\n');
    await rig.ask('SYNC 2');
    await rig.ask('PLUG 2');
    rig.up.write('b\n');
    await rig.ask('SYNC 4');
    await rig.ask('PLUG 3');
    expect(await rig.ask('PLUG 2')).toBe('OK upstream=4 released=0');
    rig.up.write('c\n');
    await rig.ask('SYNC 6');
    expect(await release(rig, 1)).toBe('OK upstream=6 released=2');
    expect(rig.down.text()).toBe('a\n');
    expect(await release(rig, 2)).toBe('OK upstream=6 released=4');
    expect(await release(rig, 2)).toBe('OK upstream=6 released=4');
    expect(await release(rig, 1)).toBe('OK upstream=6 released=4');
    expect(rig.down.text()).toBe('a\nb\n');
    await rig.ask('PLUG 4');
    expect(await release(rig, 3)).toBe('OK upstream=6 released=6');
    expect(rig.down.text()).toBe('a\nb\nc\n');
  });

  it('answers ERR to malformed control lines and keeps working', async () => {
    const rig = await openProxy();
    expect(await rig.ask('HELLO 1')).toBe('ERR unknown command HELLO');
    expect(await rig.ask('PLUG')).toBe('ERR PLUG takes one number');
    expect(await rig.ask('RELEASE -1')).toBe('ERR bad number -1');
    expect(await rig.ask('SYNC 1 2')).toBe('ERR SYNC takes one number');
    expect(await rig.ask('')).toBe('ERR empty line');
    expect(await rig.ask('x'.repeat(300))).toBe('ERR line too long');
    expect(await rig.ask('SYNC 0')).toBe('OK upstream=0 released=0');
  });

  it('refuses with ERR full beyond maxHeldBytes and takes the rest once a release makes room', async () => {
    const rig = await openProxy({ maxHeldBytes: 8 });
    rig.up.write('abcdefghijk\n');
    expect(await rig.ask('SYNC 12')).toBe('ERR full');
    expect(await rig.ask('SYNC 8')).toBe('OK upstream=8 released=0');
    await rig.ask('PLUG 2');
    expect(await release(rig, 1)).toBe('OK upstream=12 released=8');
    expect(await rig.ask('SYNC 12')).toBe('OK upstream=12 released=8');
    expect(await release(rig, 2)).toBe('OK upstream=12 released=12');
    expect(rig.down.text()).toBe('abcdefghijk\n');
  });

  it('accepts one guest stream only', async () => {
    const rig = await openProxy();
    const second = await connect(rig.proxy.upstreamPort);
    await once(second, 'close');
    expect(await rig.ask('SYNC 0')).toBe('OK upstream=0 released=0');
  });
});

describe('output-commit proxy (planted bugs)', () => {
  it('release-at-plug lets an uncommitted epoch out at PLUG', async () => {
    const rig = await openProxy({ bug: 'release-at-plug' });
    rig.up.write('a\n');
    await rig.ask('SYNC 2');
    expect(await rig.ask('PLUG 2')).toBe('OK upstream=2 released=2');
    await rig.down.reached(2);
    expect(rig.down.text()).toBe('a\n');
  });

  it('release-open-epoch lets the open epoch out with an older one', async () => {
    const rig = await openProxy({ bug: 'release-open-epoch' });
    rig.up.write('a\n');
    await rig.ask('SYNC 2');
    await rig.ask('PLUG 2');
    rig.up.write('b\n');
    await rig.ask('SYNC 4');
    expect(await release(rig, 1)).toBe('OK upstream=4 released=4');
    expect(rig.down.text()).toBe('a\nb\n');
  });

  it('release-forgets-last loses the last line of a release', async () => {
    const rig = await openProxy({ bug: 'release-forgets-last' });
    rig.up.write('a\nb\n');
    await rig.ask('SYNC 4');
    await rig.ask('PLUG 2');
    expect(await release(rig, 1)).toBe('OK upstream=4 released=2');
    rig.up.write('c\n');
    await rig.ask('SYNC 6');
    await rig.ask('PLUG 3');
    expect(await release(rig, 2)).toBe('OK upstream=6 released=2');
    expect(rig.down.text()).toBe('a\n');
  });

  it('duplicate-on-repeat sends an epoch again on a repeated RELEASE', async () => {
    const rig = await openProxy({ bug: 'duplicate-on-repeat' });
    rig.up.write('a\n');
    await rig.ask('SYNC 2');
    await rig.ask('PLUG 2');
    expect(await release(rig, 1)).toBe('OK upstream=2 released=2');
    expect(await release(rig, 1)).toBe('OK upstream=2 released=4');
    expect(rig.down.text()).toBe('a\na\n');
  });
});

function delivery(event: AnyEventObject): SutDelivery {
  return { to: 'vm/buffer', from: 'vm/guest', event, timer: false, tUs: 0, nowUs: 0 };
}

const output = (seq: number) => delivery({ type: 'net.output', seq, data: `pkt-${seq}` });
const plug = (epoch: number) => delivery({ type: 'buffer.plug', epoch });
const releaseOf = (epoch: number) => delivery({ type: 'buffer.release', epoch });
const deliver = (seq: number) => ({
  from: 'vm/buffer',
  to: 'wan/client',
  event: { type: 'net.deliver', seq, data: `pkt-${seq}` },
});

async function startSut(variant?: string): Promise<SutInstance> {
  const sut = await adapter.start({ ...(variant !== undefined ? { variant } : {}), params: {} });
  toClose.push(() => sut.stop());
  await sut.boot('vm/buffer', 0);
  return sut;
}

describe('output-commit proxy adapter', () => {
  it('declares the scenario, actor and one variant per planted bug', () => {
    expect(adapter.name).toBe('output-commit-proxy');
    expect(adapter.scenario).toBe('output-commit');
    expect(adapter.actors).toEqual(['vm/buffer']);
    expect(adapter.variants?.map((v) => v.name)).toEqual([
      'release-at-plug',
      'release-open-epoch',
      'release-forgets-last',
      'duplicate-on-repeat',
    ]);
  });

  it('turns released guest output into net.deliver outputs, epoch by epoch', async () => {
    const sut = await startSut();
    await sut.send(output(1));
    await sut.send(plug(2));
    await sut.send(output(2));
    expect(await sut.observe()).toEqual([]);
    await sut.send(releaseOf(1));
    expect(await sut.observe()).toEqual([deliver(1)]);
    await sut.send(plug(3));
    await sut.send(releaseOf(2));
    await sut.send(releaseOf(2));
    expect(await sut.observe()).toEqual([deliver(2)]);
  });

  it('loses held output when the host crashes and reboots', async () => {
    const sut = await startSut();
    await sut.send(output(1));
    await sut.send(plug(2));
    await sut.crash?.('vm/buffer', 0);
    await sut.boot('vm/buffer', 0);
    await sut.send(plug(2));
    await sut.send(releaseOf(1));
    expect(await sut.observe()).toEqual([]);
    await sut.send(output(2));
    await sut.send(plug(3));
    await sut.send(releaseOf(2));
    expect(await sut.observe()).toEqual([deliver(2)]);
  });

  it('shows a planted bug through the outputs', async () => {
    const sut = await startSut('release-at-plug');
    await sut.send(output(1));
    await sut.send(plug(2));
    expect(await sut.observe()).toEqual([deliver(1)]);
  });

  it('rejects events outside the vocabulary and unknown variants', async () => {
    const sut = await startSut();
    await expect(sut.send(delivery({ type: 'net.bogus' }))).rejects.toThrow(/net\.bogus/);
    await expect(adapter.start({ variant: 'no-such-bug', params: {} })).rejects.toThrow(/no-such-bug/);
  });
});
