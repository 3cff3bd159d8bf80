// A real Remus-style output-commit proxy ("plugged queue"): guest bytes are held per epoch until the controller
// releases the epoch, so nothing a checkpoint could still roll back ever leaves the host. Planted bugs by option.

import net from 'node:net';

/** Planted, plausible bugs the proxy can be started with (statevisor's model-based tests must find each one). */
export type ProxyBug = 'release-at-plug' | 'release-open-epoch' | 'release-forgets-last' | 'duplicate-on-repeat';

export const PROXY_BUGS: readonly ProxyBug[] = [
  'release-at-plug',
  'release-open-epoch',
  'release-forgets-last',
  'duplicate-on-repeat',
];

export interface ProxyOptions {
  /** The outside client the released bytes go to; the proxy connects to it while starting. */
  readonly downstream: { readonly host: string; readonly port: number };
  readonly bug?: ProxyBug;
  /** Held bytes beyond this are not read from the guest (TCP back-pressure) and a SYNC for them answers `ERR full`. */
  readonly maxHeldBytes?: number;
  /** How long a SYNC waits for its bytes before answering `ERR timeout`, so a stalled guest cannot wedge the control. */
  readonly syncTimeoutMs?: number;
}

export interface Proxy {
  readonly upstreamPort: number;
  readonly controlPort: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_MAX_HELD = 1024 * 1024;
const DEFAULT_SYNC_TIMEOUT_MS = 5_000;
const MAX_LINE = 256;
/** Control lines queued per connection before the proxy stops reading that connection. */
const MAX_QUEUED_LINES = 64;
const MAX_CONTROL_CONNECTIONS = 16;
const EMPTY = Buffer.alloc(0);

interface Chunk {
  readonly epoch: number;
  readonly data: Buffer;
  /** Only the duplicate-on-repeat bug keeps released chunks (and so re-sends them). */
  released: boolean;
}

/** The held bytes and the epoch bookkeeping, without sockets: every planted bug lives here. */
export class HeldQueue {
  private chunks: Chunk[] = [];
  private heldBytes = 0;
  private open = 1;
  private releasedUpTo = 0;

  constructor(
    private readonly bug: ProxyBug | undefined,
    private readonly maxHeldBytes: number,
  ) {}

  get openEpoch(): number {
    return this.open;
  }

  room(): number {
    return Math.max(0, this.maxHeldBytes - this.heldBytes);
  }

  hold(data: Buffer): void {
    if (data.length > this.room()) throw new Error(`HeldQueue.hold: ${data.length} bytes exceed the room left`);
    this.chunks.push({ epoch: this.open, data, released: false });
    this.heldBytes += data.length;
  }

  /** Opens epoch `e`; returns the bytes to write downstream now (none, unless the bug releases early). */
  plug(e: number): Buffer {
    if (e <= this.open) return EMPTY;
    this.open = e;
    return this.bug === 'release-at-plug' ? this.take((c) => !c.released && c.epoch < e) : EMPTY;
  }

  /** Returns, in arrival order, the held bytes of epochs <= `e`, and forgets them. */
  release(e: number): Buffer {
    const repeat = e <= this.releasedUpTo;
    this.releasedUpTo = Math.max(this.releasedUpTo, e);
    const open = this.open;
    const bytes = this.take((c) => {
      if (c.released) return repeat && c.epoch === e;
      return c.epoch <= e || (this.bug === 'release-open-epoch' && c.epoch === open);
    });
    return this.bug === 'release-forgets-last' ? dropLastLine(bytes) : bytes;
  }

  private take(pick: (c: Chunk) => boolean): Buffer {
    const out: Buffer[] = [];
    const kept: Chunk[] = [];
    for (const c of this.chunks) {
      if (!pick(c)) {
        kept.push(c);
        continue;
      }
      out.push(c.data);
      if (this.bug === 'duplicate-on-repeat') {
        c.released = true;
        kept.push(c);
      } else {
        this.heldBytes -= c.data.length;
      }
    }
    this.chunks = kept;
    return out.length === 0 ? EMPTY : Buffer.concat(out);
  }
}

/** The release-forgets-last bug: the last line (bytes up to and including the final '\n') goes missing. */
function dropLastLine(bytes: Buffer): Buffer {
  const end = bytes.lastIndexOf(0x0a);
  if (end < 0) return bytes;
  // lastIndexOf with a negative offset counts from the end, so the first line needs its own case.
  const start = end === 0 ? 0 : bytes.lastIndexOf(0x0a, end - 1) + 1;
  return Buffer.concat([bytes.subarray(0, start), bytes.subarray(end + 1)]);
}

type Command = { readonly verb: 'PLUG' | 'RELEASE' | 'SYNC'; readonly n: number };

/** Parses one control line; a string result is the reason for `ERR <reason>`. */
export function parseControl(line: string | null): Command | string {
  if (line === null) return 'line too long';
  const words = line.trim().split(/\s+/);
  const [verb, arg] = words;
  if (!verb) return 'empty line';
  if (verb !== 'PLUG' && verb !== 'RELEASE' && verb !== 'SYNC') return `unknown command ${verb.slice(0, 32)}`;
  if (words.length !== 2 || arg === undefined) return `${verb} takes one number`;
  if (!/^\d{1,15}$/.test(arg)) return `bad number ${arg.slice(0, 32)}`;
  return { verb, n: Number(arg) };
}

/** Splits a control stream into lines; `null` stands for a line longer than MAX_LINE (dropped up to its '\n'). */
class LineSplitter {
  private partial = '';
  private discarding = false;

  push(text: string): (string | null)[] {
    const lines: (string | null)[] = [];
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      if (this.discarding) this.discarding = false;
      else lines.push(part.length > MAX_LINE ? null : part);
    }
    if (this.partial.length > MAX_LINE) {
      if (!this.discarding) lines.push(null);
      this.discarding = true;
      this.partial = '';
    }
    return lines;
  }
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('listen: no TCP address'));
      else resolve(address.port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

function connectTo(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** The proxy proper: one upstream connection in, control connections beside it, one downstream connection out. */
class PluggedQueueProxy implements Proxy {
  private readonly queue: HeldQueue;
  private readonly upstreamServer = net.createServer((s) => this.acceptUpstream(s));
  private readonly controlServer = net.createServer((s) => this.acceptControl(s));
  private readonly controls = new Set<net.Socket>();
  private readonly syncWaiters = new Set<() => void>();
  private upstream: net.Socket | null = null;
  private upstreamAccepted = false;
  private upstreamEnded = false;
  /** Guest bytes read but not yet held because the queue was full; reading is paused meanwhile. */
  private pending: Buffer | null = null;
  private received = 0;
  private released = 0;
  private closed = false;
  upstreamPort = 0;
  controlPort = 0;

  constructor(
    private readonly downstream: net.Socket,
    private readonly options: ProxyOptions,
  ) {
    this.queue = new HeldQueue(options.bug, options.maxHeldBytes ?? DEFAULT_MAX_HELD);
    // The outside client has nothing to say; reading keeps its bytes from piling up, errors surface on write.
    downstream.on('error', () => {});
    downstream.resume();
  }

  async listen(): Promise<void> {
    // Every control connection may park one SYNC waiter; bounding connections bounds the waiters.
    this.controlServer.maxConnections = MAX_CONTROL_CONNECTIONS;
    this.upstreamPort = await listen(this.upstreamServer);
    this.controlPort = await listen(this.controlServer);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeSyncs();
    this.upstream?.destroy();
    for (const c of this.controls) c.destroy();
    this.downstream.destroy();
    await Promise.all([closeServer(this.upstreamServer), closeServer(this.controlServer)]);
  }

  private acceptUpstream(socket: net.Socket): void {
    // The guest has exactly one stream; a second connection would interleave bytes with no defined order.
    if (this.upstreamAccepted || this.closed) {
      socket.destroy();
      return;
    }
    this.upstreamAccepted = true;
    this.upstream = socket;
    socket.on('data', (data: Buffer) => this.admit(data));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.upstreamEnded = true;
      this.wakeSyncs();
    });
  }

  /** Holds as much of `data` as fits; the rest waits in `pending` with the guest's stream paused. */
  private admit(data: Buffer): void {
    const take = Math.min(this.queue.room(), data.length);
    if (take > 0) {
      this.queue.hold(data.subarray(0, take));
      this.received += take;
    }
    if (take < data.length) {
      this.pending = data.subarray(take);
      this.upstream?.pause();
    }
    this.wakeSyncs();
  }

  private admitPending(): void {
    const rest = this.pending;
    if (rest === null) return;
    this.pending = null;
    this.admit(rest);
    if (this.pending === null) this.upstream?.resume();
  }

  private wakeSyncs(): void {
    for (const check of [...this.syncWaiters]) check();
  }

  /** Control lines are answered one at a time, in order, each after its effect is done. */
  private acceptControl(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.controls.add(socket);
    const splitter = new LineSplitter();
    const lines: (string | null)[] = [];
    let busy = false;
    const drain = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (lines.length > 0 && !socket.destroyed) {
        const answer = await this.execute(lines.shift() ?? null);
        if (!socket.destroyed) socket.write(`${answer}\n`);
        if (lines.length < MAX_QUEUED_LINES) socket.resume();
      }
      busy = false;
    };
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      lines.push(...splitter.push(text));
      if (lines.length >= MAX_QUEUED_LINES) socket.pause();
      void drain();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.controls.delete(socket));
  }

  private async execute(line: string | null): Promise<string> {
    const command = parseControl(line);
    if (typeof command === 'string') return `ERR ${command}`;
    if (command.verb === 'SYNC') return this.sync(command.n);
    const bytes = command.verb === 'PLUG' ? this.queue.plug(command.n) : this.queue.release(command.n);
    const failure = await this.writeDownstream(bytes);
    this.admitPending();
    return failure ?? this.okLine();
  }

  private okLine(): string {
    return `OK upstream=${this.received} released=${this.released}`;
  }

  /** Resolves once the bytes are handed to the socket: null, or the `ERR` answer when the write failed. */
  private writeDownstream(bytes: Buffer): Promise<string | null> {
    if (bytes.length === 0) return Promise.resolve(null);
    this.released += bytes.length;
    return new Promise((resolve) => {
      this.downstream.write(bytes, (err) => resolve(err ? `ERR downstream ${err.message}` : null));
    });
  }

  private sync(n: number): Promise<string> {
    return new Promise((resolve) => {
      const finish = (answer: string): void => {
        clearTimeout(timer);
        this.syncWaiters.delete(check);
        resolve(answer);
      };
      const check = (): void => {
        if (this.received >= n) finish(this.okLine());
        else if (this.pending !== null) finish('ERR full');
        else if (this.upstreamEnded) finish('ERR upstream closed');
        else if (this.closed) finish('ERR closed');
      };
      const timer = setTimeout(() => finish('ERR timeout'), this.options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
      this.syncWaiters.add(check);
      check();
    });
  }
}

/** Starts a proxy: connects to the downstream client, then listens for the guest and the controller. */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const downstream = await connectTo(options.downstream.host, options.downstream.port);
  const proxy = new PluggedQueueProxy(downstream, options);
  try {
    await proxy.listen();
  } catch (err) {
    await proxy.close();
    throw err;
  }
  return proxy;
}
