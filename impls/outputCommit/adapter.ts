// The statevisor adapter for the output-commit proxy: it plays vm/buffer of the output-commit scenario by driving a
// real proxy over its sockets, and turns the lines that reach the outside client into net.deliver outputs.

import { once } from 'node:events';
import net from 'node:net';
import { defineSut, type SutDelivery, type SutInstance, type SutOutput } from 'statevisor';
import type { AnyEventObject } from 'xstate';
import { PROXY_BUGS, type ProxyBug, startProxy } from './proxy.js';

const ACTOR = 'vm/buffer';
const CLIENT = 'wan/client';
const HOST = '127.0.0.1';
/** How long the adapter waits for an answer or for released bytes before calling the step a failure. */
const WAIT_MS = 2_000;
/** A downstream line longer than this cannot be `pkt-<seq>`: reported instead of buffered without end. */
const MAX_LINE = 256;

/** Wakes waiters when something they wait for may have happened; every wait is bounded by WAIT_MS. */
class Signal {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  until(ready: () => boolean, failure: () => string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = (): void => {
        if (!ready()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(failure()));
      }, WAIT_MS);
      this.listeners.add(check);
    });
  }
}

async function destroySocket(socket: net.Socket): Promise<void> {
  if (socket.closed) return;
  const closed = once(socket, 'close');
  socket.destroy();
  await closed;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/** Where the downstream side puts what it saw, for the next `observe()`. */
interface Sink {
  emit(output: SutOutput): void;
  fail(problem: string): void;
}

/** The outside client's TCP server: the proxy connects to it, and each complete line it gets is one delivery. */
class Downstream {
  received = 0;
  private partial = '';
  private readonly sockets = new Set<net.Socket>();
  private readonly signal = new Signal();
  private readonly server = net.createServer((s) => this.accept(s));

  constructor(private readonly sink: Sink) {}

  async listen(): Promise<number> {
    this.server.listen(0, HOST);
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('downstream: no TCP address');
    return address.port;
  }

  connected(): Promise<void> {
    return this.signal.until(
      () => this.sockets.size > 0,
      () => 'output-commit-proxy: the proxy never connected downstream',
    );
  }

  /** Waits until `total` bytes have arrived in all (the proxy's `released` count). */
  reached(total: number, what: string): Promise<void> {
    return this.signal.until(
      () => this.received >= total,
      () => `${what}: downstream got ${this.received} of ${total} released bytes within ${WAIT_MS} ms`,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.sockets].map(destroySocket));
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.take(text));
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    this.signal.notify();
  }

  private take(text: string): void {
    this.received += Buffer.byteLength(text, 'latin1');
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.deliver(line);
    if (this.partial.length > MAX_LINE) {
      this.sink.fail(`downstream line longer than ${MAX_LINE} bytes`);
      this.partial = '';
    }
    this.signal.notify();
  }

  private deliver(line: string): void {
    const m = /^pkt-(\d{1,15})$/.exec(line);
    if (!m?.[1]) {
      this.sink.fail(`downstream line '${line.slice(0, 64)}' is not pkt-<seq>`);
      return;
    }
    const event = { type: 'net.deliver', seq: Number(m[1]), data: line };
    this.sink.emit({ from: ACTOR, to: CLIENT, event });
  }
}

/** The controller's side of the control connection: one line out, one answer line back. */
class Control {
  private partial = '';
  private readonly answers: string[] = [];
  private readonly signal = new Signal();
  private closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop() ?? '';
      this.answers.push(...lines);
      this.signal.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.signal.notify();
    });
  }

  async request(line: string, what: string): Promise<string> {
    // Requests go one at a time, so an answer already queued would belong to nobody.
    if (this.answers.length > 0) throw new Error(`${what}: unexpected control answer '${this.answers[0]}'`);
    this.socket.write(`${line}\n`);
    await this.signal.until(
      () => this.answers.length > 0 || this.closed,
      () => `${what}: no answer to '${line}' within ${WAIT_MS} ms`,
    );
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error(`${what}: the proxy closed the control connection`);
    return answer;
  }
}

/** `released=<n>` of an OK answer; anything else fails the step. */
function releasedOf(answer: string, what: string): number {
  const m = /^OK upstream=(\d+) released=(\d+)$/.exec(answer);
  if (!m?.[2]) throw new Error(`${what}: the proxy answered '${answer}'`);
  return Number(m[2]);
}

function intField(event: AnyEventObject, field: string): number {
  const value: unknown = event[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${event.type}: '${field}' must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** One incarnation of vm/buffer: a proxy, the downstream server it feeds, and the guest's and controller's sockets. */
class Rig {
  private written = 0;
  private readonly closers: (() => Promise<void>)[] = [];

  private constructor(
    private readonly down: Downstream,
    private readonly upstream: net.Socket,
    private readonly control: Control,
  ) {}

  static async open(bug: ProxyBug | undefined, sink: Sink): Promise<Rig> {
    const down = new Downstream(sink);
    const closers: (() => Promise<void>)[] = [() => down.close()];
    try {
      const port = await down.listen();
      const proxy = await startProxy({ downstream: { host: HOST, port }, bug });
      closers.push(() => proxy.close());
      await down.connected();
      const upstream = await connect(proxy.upstreamPort);
      closers.push(() => destroySocket(upstream));
      const control = await connect(proxy.controlPort);
      closers.push(() => destroySocket(control));
      const rig = new Rig(down, upstream, new Control(control));
      rig.closers.push(...closers);
      return rig;
    } catch (err) {
      await closeAll(closers);
      throw err;
    }
  }

  async close(): Promise<void> {
    await closeAll(this.closers.splice(0));
  }

  handle(event: AnyEventObject): Promise<void> {
    switch (event.type) {
      case 'net.output':
        return this.output(event);
      case 'buffer.plug':
        return this.command('PLUG', event);
      case 'buffer.release':
        return this.command('RELEASE', event);
      default:
        throw new Error(`output-commit-proxy: ${ACTOR} has no event '${event.type}'`);
    }
  }

  private async output(event: AnyEventObject): Promise<void> {
    intField(event, 'seq');
    const data: unknown = event.data;
    if (typeof data !== 'string' || data.includes('\n')) {
      throw new Error(`net.output: 'data' must be a one-line string, got ${JSON.stringify(data)}`);
    }
    const bytes = Buffer.from(`${data}\n`, 'latin1');
    await new Promise<void>((resolve, reject) => this.upstream.write(bytes, (err) => (err ? reject(err) : resolve())));
    this.written += bytes.length;
    await this.settle(`SYNC ${this.written}`, event.type);
  }

  private command(verb: 'PLUG' | 'RELEASE', event: AnyEventObject): Promise<void> {
    return this.settle(`${verb} ${intField(event, 'epoch')}`, event.type);
  }

  /** Sends one control line and waits until everything the proxy says it released has arrived downstream. */
  private async settle(line: string, what: string): Promise<void> {
    const answer = await this.control.request(line, what);
    await this.down.reached(releasedOf(answer, what), what);
  }
}

/** Runs every closer (latest first) even when one fails, then reports the first failure. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  let failure: unknown = null;
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== null) throw failure;
}

function assertActor(actor: string, what: string): void {
  if (actor !== ACTOR) throw new Error(`output-commit-proxy plays only ${ACTOR}, got ${what} for '${actor}'`);
}

/** One started implementation: vm/buffer's current incarnation plus everything seen downstream since the last look. */
class ProxySut implements SutInstance {
  private rig: Rig | null = null;
  private outputs: SutOutput[] = [];
  private problems: string[] = [];
  private readonly sink: Sink = {
    emit: (output) => this.outputs.push(output),
    fail: (problem) => this.problems.push(problem),
  };

  constructor(private readonly bug: ProxyBug | undefined) {}

  async boot(actor: string): Promise<void> {
    assertActor(actor, 'boot');
    if (this.rig !== null) throw new Error(`boot: ${ACTOR} is already running (crash it first)`);
    this.rig = await Rig.open(this.bug, this.sink);
  }

  async send(delivery: SutDelivery): Promise<void> {
    assertActor(delivery.to, delivery.event.type);
    if (this.rig === null) throw new Error(`${delivery.event.type}: ${ACTOR} is not running`);
    await this.rig.handle(delivery.event);
  }

  async observe(): Promise<readonly SutOutput[]> {
    const [problem] = this.problems;
    if (problem !== undefined) throw new Error(`output-commit-proxy: ${problem}`);
    const outputs = this.outputs;
    this.outputs = [];
    return outputs;
  }

  /** A host crash: the proxy and everything it held are gone; lines half-received downstream are dropped too. */
  async crash(actor: string): Promise<void> {
    assertActor(actor, 'crash');
    const rig = this.rig;
    if (rig === null) throw new Error(`crash: ${ACTOR} is not running`);
    this.rig = null;
    await rig.close();
  }

  async stop(): Promise<void> {
    const rig = this.rig;
    this.rig = null;
    await rig?.close();
  }
}

const DESCRIPTIONS: Readonly<Record<ProxyBug, string>> = {
  'release-at-plug': 'PLUG e releases the bytes of earlier epochs before their checkpoint is committed',
  'release-open-epoch': "RELEASE e also releases the still-open epoch's bytes",
  'release-forgets-last': 'RELEASE e loses the last line of what it releases',
  'duplicate-on-repeat': "a repeated RELEASE e sends epoch e's bytes again",
};

function bugOf(variant: string | undefined): ProxyBug | undefined {
  if (variant === undefined) return undefined;
  const bug = PROXY_BUGS.find((b) => b === variant);
  if (bug === undefined) throw new Error(`output-commit-proxy: unknown variant '${variant}'`);
  return bug;
}

export default defineSut({
  name: 'output-commit-proxy',
  scenario: 'output-commit',
  actors: [ACTOR],
  variants: PROXY_BUGS.map((name) => ({ name, description: DESCRIPTIONS[name] })),
  start: async ({ variant }) => new ProxySut(bugOf(variant)),
});
