// The statevisor adapter for the real lease server and clients: a man in the middle that turns what they write on
// their sockets into the charts' messages, and the kernel's deliveries (messages and timer ticks) into their input.

import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import type { Address } from 'statevisor';
import { defineSut, type SutDelivery, type SutInstance, type SutOutput, type SutVariant } from 'statevisor';
import leaseHandover from '../../examples/lease-handover.js';
import { type LeaseAlarmKind, LeaseClient, type LeaseClientBug } from './client.js';
import { type LeaseServer, type LeaseServerBug, readLines, startLeaseServer, wholeNumber } from './server.js';

export const SERVER: Address = 'server/lease';
export const NODES: readonly Address[] = ['nodeA/node', 'nodeB/node'];
export const STORE: Address = 'store/log';
export const LEASE_ACTORS: readonly Address[] = [SERVER, ...NODES];

/** How long `send` waits for everything a delivery caused before it gives up naming the event. */
export const ANSWER_WAIT_MS = 2_000;
/** Outputs nobody observed: a runner that never calls `observe` is broken, so stop growing. */
const MAX_OUTPUTS = 10_000;

export const leaseVariants: readonly SutVariant[] = [
  { name: 'server:grants-while-held', description: 'the server grants a new term to another node while it is held' },
  { name: 'server:never-expires', description: "the server's lease never runs out, so a crashed holder keeps it" },
  { name: 'client:ignores-margin', description: 'the holder believes its lease for the full lease length' },
  {
    name: 'client:renews-without-asking',
    description: 'the holder extends its own lease at renewal without a request',
  },
];

export interface LeaseParams {
  readonly leaseUs: number;
  readonly marginUs: number;
  readonly renewAfterUs: number;
  readonly actUs: number;
  readonly terms: number;
}

/**
 * The scenario's defaults, or `overrides` (as `--set` strings) over them: `start` is not told a run's parameters,
 * so the real code runs with these; the shipped check configurations change none of them.
 */
export function leaseParams(overrides: Readonly<Record<string, string>> = {}): LeaseParams {
  const int = (name: string): number => {
    const given = overrides[name];
    const value = given === undefined ? leaseHandover.params[name]?.default : wholeNumber(given);
    if (typeof value !== 'number') throw new Error(`lease-pair: parameter '${name}' is no whole number`);
    return value;
  };
  return {
    leaseUs: int('leaseUs'),
    marginUs: int('marginUs'),
    renewAfterUs: int('renewAfterUs'),
    actUs: int('actUs'),
    terms: int('terms'),
  };
}

interface Bugs {
  readonly server?: LeaseServerBug;
  readonly client?: LeaseClientBug;
}

function parseVariant(variant: string | undefined): Bugs {
  if (variant === undefined) return {};
  if (!leaseVariants.some((v) => v.name === variant)) {
    throw new Error(`lease-pair: unknown variant '${variant}' (known: ${leaseVariants.map((v) => v.name).join(', ')})`);
  }
  const [side, bug] = variant.split(':');
  return side === 'server' ? { server: bug as LeaseServerBug } : { client: bug as LeaseClientBug };
}

/** Waits, one event-loop turn at a time, until `ready()`; a failure seen meanwhile, or ANSWER_WAIT_MS, throws. */
export async function waitUntil(ready: () => boolean, what: string, failure: () => Error | null): Promise<void> {
  let late = false;
  const timer = setTimeout(() => {
    late = true;
  }, ANSWER_WAIT_MS);
  try {
    for (;;) {
      const err = failure();
      if (err !== null) throw err;
      if (ready()) return;
      if (late) throw new Error(`lease-pair: ${what} within ${ANSWER_WAIT_MS} ms`);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    clearTimeout(timer);
  }
}

function intField(d: SutDelivery, field: string): number {
  const value = (d.event as Record<string, unknown>)[field];
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new Error(`lease-pair: '${d.event.type}' to ${d.to} has ${field} ${String(value)}, not a whole number`);
  }
  return value as number;
}

interface Conn {
  readonly socket: Socket;
  /** Answers read since its last DONE. */
  lines: SutOutput[];
  dones: number;
}

/** The adapter's side of one running lease server: one connection per node, each read up to every line's DONE. */
class ServerLink {
  /** Per input line (1-based), each connection's answers to it, kept until every connection has said DONE. */
  private readonly answers = new Map<number, Map<Address, SutOutput[]>>();
  private readonly conns = new Map<Address, Conn>();
  private closing = false;
  written = 0;
  flushed = 0;
  failure: Error | null = null;

  private constructor(
    private readonly server: LeaseServer,
    private readonly emit: (o: SutOutput) => void,
  ) {}

  static async open(leaseUs: number, bug: LeaseServerBug | undefined, emit: (o: SutOutput) => void) {
    const link = new ServerLink(await startLeaseServer({ leaseUs, ...(bug !== undefined ? { bug } : {}) }), emit);
    try {
      for (const node of NODES) link.conns.set(node, await link.connect(node));
      // DONE goes to the connections the server has accepted: all of them must be in before the first line.
      await waitUntil(
        () => link.server.connectionCount() === NODES.length,
        'the server accepting',
        () => null,
      );
      return link;
    } catch (err) {
      await link.close();
      throw err;
    }
  }

  private connect(node: Address): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: this.server.host, port: this.server.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const conn: Conn = { socket, lines: [], dones: 0 };
        socket.on('error', (err) => this.fail(`${node}'s connection to the server: ${err.message}`));
        socket.on('close', () => this.fail(`the server closed ${node}'s connection`));
        readLines(socket, (line) => this.onLine(node, conn, line));
        resolve(conn);
      });
    });
  }

  /** Writes one input line on `via`'s connection. */
  write(via: Address, line: string): void {
    const conn = this.conns.get(via);
    if (conn === undefined) throw new Error(`lease-pair: no server connection for '${via}'`);
    this.written += 1;
    conn.socket.write(`${line}\n`);
  }

  /** Every line written has been answered on every connection, and the answers are out. */
  settled(): boolean {
    return this.flushed === this.written;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.conns.values()) c.socket.destroy();
    await this.server.close();
  }

  private fail(message: string): void {
    if (!this.closing) this.failure ??= new Error(`lease-pair: ${message}`);
  }

  private onLine(node: Address, conn: Conn, line: string): void {
    if (line !== 'DONE') {
      const event = parseAnswer(line);
      if (event === null) this.fail(`the server wrote '${line}' on ${node}'s connection`);
      else conn.lines.push({ from: SERVER, to: node, event });
      return;
    }
    conn.dones += 1;
    if (conn.dones > this.written) {
      this.fail(`a DONE on ${node}'s connection for no line written`);
      return;
    }
    const batch = this.answers.get(conn.dones) ?? new Map<Address, SutOutput[]>();
    batch.set(node, conn.lines);
    this.answers.set(conn.dones, batch);
    conn.lines = [];
    this.flush();
  }

  /**
   * A line's answers go out once every connection has said DONE to it, connection by connection in node order:
   * the order a server writes to two sockets cannot be seen from outside, and the chart tells waiters sorted.
   */
  private flush(): void {
    for (let batch = this.answers.get(this.flushed + 1); batch?.size === NODES.length; ) {
      for (const node of NODES) for (const o of batch.get(node) ?? []) this.emit(o);
      this.answers.delete(this.flushed + 1);
      this.flushed += 1;
      batch = this.answers.get(this.flushed + 1);
    }
  }
}

/** The chart event a server's answer line is, or null for a line that is none. */
function parseAnswer(line: string): SutOutput['event'] | null {
  const words = line.split(' ');
  if (words[0] === 'GRANTED' && words.length === 3) {
    const term = wholeNumber(words[1]);
    const req = wholeNumber(words[2]);
    return term === null || req === null ? null : { type: 'lease.granted', term, req };
  }
  if (words[0] === 'BUSY' && words.length === 2) {
    const req = wholeNumber(words[1]);
    return req === null ? null : { type: 'lease.busy', req };
  }
  return line === 'FREE' ? { type: 'lease.free' } : null;
}

/**
 * The adapter's side of one node: the relay socket its client connects to (instead of the server), and the
 * clock readings of the lines delivered to it, which the client reads as its clock while it handles each.
 */
class NodeLink {
  client: LeaseClient | null = null;
  private socket: Socket | null = null;
  private nows: number[] = [];
  private received = 0;
  /** Leader writes made after a request the relay has not read yet: they go out after it, as they were made. */
  private staged: { after: number; out: SutOutput }[] = [];
  failure: Error | null = null;

  private constructor(
    readonly self: Address,
    private readonly relay: Server,
    private readonly emit: (o: SutOutput) => void,
  ) {}

  static async open(self: Address, emit: (o: SutOutput) => void): Promise<NodeLink> {
    const relay = createServer();
    const link = new NodeLink(self, relay, emit);
    relay.on('connection', (socket) => link.accept(socket));
    await new Promise<void>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  async boot(params: LeaseParams, bug: LeaseClientBug | undefined): Promise<void> {
    if (this.client !== null) throw new Error(`lease-pair: ${this.self} booted while it runs`);
    const address = this.relay.address();
    if (address === null || typeof address === 'string') throw new Error('lease-pair: the relay has no TCP address');
    this.client = await LeaseClient.connect({
      self: this.self,
      host: '127.0.0.1',
      port: address.port,
      ...params,
      clock: () => this.clockOfLine(),
      onAct: (term) => this.acted(term),
      ...(bug !== undefined ? { bug } : {}),
    });
    await waitUntil(
      () => this.socket !== null,
      `${this.self}'s client reaching its relay`,
      () => this.failure,
    );
  }

  /** The running client, or an error naming the node: nothing is delivered to a host that is down. */
  running(what: string): LeaseClient {
    if (this.client === null) throw new Error(`lease-pair: '${what}' delivered to ${this.self}, which is down`);
    return this.client;
  }

  /** Writes a server's line into the node's relay socket, to be read at host clock reading `nowUs`. */
  deliverLine(line: string, nowUs: number, what: string): void {
    this.running(what);
    if (this.socket === null) throw new Error(`lease-pair: ${this.self} has no relay connection`);
    this.nows.push(nowUs);
    this.socket.write(`${line}\n`);
  }

  /** The client has handled every line delivered and the relay has read every line it wrote. */
  settled(): boolean {
    return this.client === null || (this.client.handled === this.nows.length && this.received === this.client.sent);
  }

  firstFailure(): Error | null {
    return this.failure ?? this.client?.failure ?? null;
  }

  /** The host is gone: the client and its connection close, and what it had not yet written is lost. */
  async crash(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.socket?.destroy();
    this.socket = null;
    this.nows = [];
    this.received = 0;
    this.staged = [];
    await client?.close();
  }

  async close(): Promise<void> {
    await this.crash();
    await new Promise<void>((resolve) => this.relay.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.socket !== null) {
      this.failure ??= new Error(`lease-pair: a second connection to ${this.self}'s relay`);
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.on('error', () => socket.destroy());
    readLines(socket, (line) => this.onClientLine(socket, line));
  }

  private clockOfLine(): number {
    const nowUs = this.nows[this.client?.handled ?? -1];
    if (nowUs === undefined) throw new Error(`lease-pair: ${this.self} read its clock for a line nobody delivered`);
    return nowUs;
  }

  private onClientLine(socket: Socket, line: string): void {
    if (socket !== this.socket) return;
    const words = line.split(' ');
    const req = wholeNumber(words[2]);
    if (words[0] !== 'REQ' || words.length !== 4 || req === null || wholeNumber(words[3]) === null) {
      this.failure ??= new Error(`lease-pair: ${this.self}'s client wrote '${line}'`);
      return;
    }
    // The request's own clock reading is the client's; the server is given its own when the kernel delivers it.
    this.received += 1;
    this.emit({ from: this.self, to: SERVER, event: { type: 'lease.request', from: words[1] as string, req } });
    while (this.staged.length > 0 && (this.staged[0] as { after: number }).after <= this.received) {
      this.emit((this.staged.shift() as { out: SutOutput }).out);
    }
  }

  private acted(term: number): void {
    const out: SutOutput = { from: this.self, to: STORE, event: { type: 'leader.act', from: this.self, term } };
    const after = this.client?.sent ?? 0;
    if (after <= this.received) this.emit(out);
    else if (this.staged.length < MAX_OUTPUTS) this.staged.push({ after, out });
    else this.failure ??= new Error(`lease-pair: more than ${MAX_OUTPUTS} leader writes of ${this.self} held back`);
  }
}

const NODE_TIMERS: ReadonlyMap<string, LeaseAlarmKind | 'start'> = new Map([
  ['node.start', 'start'],
  ['node.act', 'act'],
  ['node.renew', 'renew'],
  ['lease.lapsed', 'lapse'],
]);
const NODE_MESSAGES = new Set(['lease.granted', 'lease.busy', 'lease.free']);

/**
 * One running pair of real components under the kernel. With `waitForAnswers` off it is the flaky adapter: `send`
 * returns once the line is written, and what it caused turns up in a later `observe`.
 */
export class LeasePair implements SutInstance {
  private outputs: SutOutput[] = [];
  private server: ServerLink | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly params: LeaseParams,
    private readonly bugs: Bugs,
    private readonly waitForAnswers: boolean,
    private readonly nodes: ReadonlyMap<Address, NodeLink>,
  ) {}

  static async start(variant: string | undefined, waitForAnswers: boolean, params = leaseParams()): Promise<LeasePair> {
    const bugs = parseVariant(variant);
    const nodes = new Map<Address, NodeLink>();
    const pair = new LeasePair(params, bugs, waitForAnswers, nodes);
    try {
      for (const node of NODES) nodes.set(node, await NodeLink.open(node, (o) => pair.emit(o)));
      return pair;
    } catch (err) {
      await pair.stop();
      throw err;
    }
  }

  async boot(actor: Address, _nowUs: number): Promise<void> {
    // Neither side says anything at boot, as the charts do not: a node waits for its start timer's tick.
    if (actor === SERVER) {
      if (this.server !== null) throw new Error(`lease-pair: ${SERVER} booted while it runs`);
      this.server = await ServerLink.open(this.params.leaseUs, this.bugs.server, (o) => this.emit(o));
    } else await this.node(actor).boot(this.params, this.bugs.client);
  }

  async send(d: SutDelivery): Promise<void> {
    if (d.event.type === 'host.restarted') return;
    if (d.to === SERVER) this.sendToServer(d);
    else this.sendToNode(d);
    if (!this.waitForAnswers) return;
    await waitUntil(
      () => this.settled(),
      `no answer to '${d.event.type}' for ${d.to} (from ${d.from ?? 'its own timer'})`,
      () => this.firstFailure(),
    );
  }

  async observe(): Promise<readonly SutOutput[]> {
    const err = this.firstFailure();
    if (err !== null) throw err;
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  async crash(actor: Address, _tUs: number): Promise<void> {
    if (actor !== SERVER) return this.node(actor).crash();
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
    for (const link of this.nodes.values()) await link.close();
  }

  /** Waits until every line written has been answered and read (the late adapter's answers, for tests). */
  settle(): Promise<void> {
    return waitUntil(
      () => this.settled(),
      'the pair settling',
      () => this.firstFailure(),
    );
  }

  private settled(): boolean {
    if (this.server !== null && !this.server.settled()) return false;
    for (const link of this.nodes.values()) if (!link.settled()) return false;
    return true;
  }

  private firstFailure(): Error | null {
    if (this.failure !== null) return this.failure;
    if (this.server?.failure) return this.server.failure;
    for (const link of this.nodes.values()) {
      const err = link.firstFailure();
      if (err !== null) return err;
    }
    return null;
  }

  private emit(o: SutOutput): void {
    if (this.outputs.length < MAX_OUTPUTS) this.outputs.push(o);
    else this.failure ??= new Error(`lease-pair: more than ${MAX_OUTPUTS} outputs nobody observed`);
  }

  private node(actor: Address): NodeLink {
    const link = this.nodes.get(actor);
    if (link === undefined) throw new Error(`lease-pair: '${actor}' is not one of ${LEASE_ACTORS.join(', ')}`);
    return link;
  }

  private sendToServer(d: SutDelivery): void {
    const server = this.server;
    if (server === null) throw new Error(`lease-pair: '${d.event.type}' delivered to ${SERVER}, which is down`);
    if (d.event.type === 'lease.expired' && d.timer) {
      // One connection is enough: DONE comes back on all of them.
      server.write(NODES[0] as Address, `TICK ${d.nowUs}`);
      return;
    }
    if (d.event.type !== 'lease.request' || d.timer || d.from === null || !this.nodes.has(d.from)) {
      throw new Error(`lease-pair: ${SERVER} cannot take '${d.event.type}' from ${d.from ?? 'a timer'}`);
    }
    const from = (d.event as { from?: unknown }).from;
    if (typeof from !== 'string') throw new Error(`lease-pair: 'lease.request' from ${d.from} names no sender`);
    server.write(d.from, `REQ ${from} ${intField(d, 'req')} ${d.nowUs}`);
  }

  private sendToNode(d: SutDelivery): void {
    const link = this.node(d.to);
    const type = d.event.type;
    const timer = NODE_TIMERS.get(type);
    if (timer !== undefined && d.timer) {
      const client = link.running(type);
      if (timer === 'start') client.start(d.nowUs);
      else client.tick(d.nowUs, timer);
      return;
    }
    if (!NODE_MESSAGES.has(type) || d.timer || d.from !== SERVER) {
      throw new Error(`lease-pair: ${d.to} cannot take '${type}' from ${d.from ?? 'a timer'}`);
    }
    const line =
      type === 'lease.granted'
        ? `GRANTED ${intField(d, 'term')} ${intField(d, 'req')}`
        : type === 'lease.busy'
          ? `BUSY ${intField(d, 'req')}`
          : 'FREE';
    link.deliverLine(line, d.nowUs, type);
  }
}

export default defineSut({
  name: 'lease-pair',
  scenario: leaseHandover,
  actors: LEASE_ACTORS,
  variants: leaseVariants,
  start: ({ variant }) => LeasePair.start(variant, true),
});
