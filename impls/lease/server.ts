// A real lease server over TCP (plain node:net, one line per message) that statevisor tests against the leaseServer
// chart of examples/lease-handover.ts. It never reads wall time: every input line carries its host clock's reading.

import { createServer, type Server, type Socket } from 'node:net';

/** The protocol's lines are short, so a longer partial line means a broken or hostile peer. */
export const MAX_LINE_CHARS = 256;

/**
 * The kernel converts a delay to real time and back with rounding, so a timer set `leaseUs` ahead may fire
 * reading 1 µs short of the deadline; a timer that fires is on time if it is within this of it.
 */
export const EXPIRY_SLACK_US = 2;

/** Calls `onLine` for each complete line the socket receives (without its newline), in order. */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0 && !socket.destroyed) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      onLine(line);
      nl = buffered.indexOf('\n');
    }
    if (buffered.length > MAX_LINE_CHARS) socket.destroy(new Error(`a line longer than ${MAX_LINE_CHARS} characters`));
  });
}

/** A whole number a line carried, or null when the word is not one. */
export function wholeNumber(word: string | undefined): number | null {
  if (word === undefined || !/^\d{1,15}$/.test(word)) return null;
  return Number(word);
}

export type LeaseServerBug = 'grants-while-held' | 'never-expires';

export interface LeaseServerOptions {
  readonly leaseUs: number;
  readonly bug?: LeaseServerBug;
}

/** A running server: where to connect, how many connections it has open, and how to stop it. */
export interface LeaseServer {
  readonly host: string;
  readonly port: number;
  connectionCount(): number;
  close(): Promise<void>;
}

interface Reply {
  readonly to: string;
  readonly line: string;
}

/** The lease itself, without sockets: who holds it, until when by this host's clock, and who waits for it. */
class LeaseBook {
  private holder: string | null = null;
  private term = 0;
  private expiresAtUs = 0;
  private readonly waiters = new Set<string>();

  constructor(
    private readonly leaseUs: number,
    private readonly bug: LeaseServerBug | undefined,
  ) {}

  /** A node asks (or its holder renews) at `nowUs`: the answer goes back to it alone. */
  request(node: string, req: number, nowUs: number): Reply {
    const takes = this.holder === null || (this.bug === 'grants-while-held' && this.holder !== node);
    if (takes) {
      this.holder = node;
      this.term += 1;
    }
    if (this.holder === node) {
      // A renewal by the holder keeps its term and runs the lease again from this request's arrival.
      this.expiresAtUs = nowUs + this.leaseUs;
      return { to: node, line: `GRANTED ${this.term} ${req}` };
    }
    this.waiters.add(node);
    return { to: node, line: `BUSY ${req}` };
  }

  /** The expiry timer fired at `nowUs`: when the lease has run out by this clock, every waiter hears it is free. */
  tick(nowUs: number): Reply[] {
    if (this.holder === null || this.bug === 'never-expires') return [];
    if (nowUs + EXPIRY_SLACK_US < this.expiresAtUs) return [];
    // Sorted the way the chart tells its waiters, so both send in one order.
    const replies = [...this.waiters].sort().map((to) => ({ to, line: 'FREE' }));
    this.holder = null;
    this.waiters.clear();
    return replies;
  }
}

/** One input line's answers: replies to nodes, or an error for the line's own connection. */
function handleLine(book: LeaseBook, line: string): { replies: Reply[]; node: string | null } | { error: string } {
  const words = line.split(' ');
  if (words[0] === 'REQ' && words.length === 4) {
    const node = words[1] as string;
    const req = wholeNumber(words[2]);
    const nowUs = wholeNumber(words[3]);
    if (node !== '' && req !== null && nowUs !== null) return { replies: [book.request(node, req, nowUs)], node };
  }
  if (words[0] === 'TICK' && words.length === 2) {
    const nowUs = wholeNumber(words[1]);
    if (nowUs !== null) return { replies: book.tick(nowUs), node: null };
  }
  return { error: `expected 'REQ <node> <req> <nowUs>' or 'TICK <nowUs>', got '${line.slice(0, 80)}'` };
}

/**
 * Starts a server on 127.0.0.1 at an ephemeral port. Each node talks on its own connection (the one its latest
 * REQ came on). After each input line, once its answers are written, every open connection gets a `DONE` line:
 * a caller holding several connections knows, connection by connection, that it has read all the line caused.
 */
export async function startLeaseServer(options: LeaseServerOptions): Promise<LeaseServer> {
  if (!Number.isSafeInteger(options.leaseUs) || options.leaseUs < 1) {
    throw new Error(`startLeaseServer: leaseUs must be a whole number of µs >= 1, got ${options.leaseUs}`);
  }
  const book = new LeaseBook(options.leaseUs, options.bug);
  const open = new Set<Socket>();
  const byNode = new Map<string, Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      open.delete(socket);
      for (const [node, s] of byNode) if (s === socket) byNode.delete(node);
    });
    readLines(socket, (line) => {
      const result = handleLine(book, line);
      if ('error' in result) socket.write(`ERR ${result.error}\n`);
      else {
        if (result.node !== null) byNode.set(result.node, socket);
        for (const r of result.replies) {
          // A node whose connection is gone cannot be told; like a real server, this one does not wait for it.
          const to = byNode.get(r.to);
          if (to !== undefined && !to.destroyed) to.write(`${r.line}\n`);
        }
      }
      for (const s of open) if (!s.destroyed) s.write('DONE\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startLeaseServer: no TCP address');
  return {
    host: '127.0.0.1',
    port: address.port,
    connectionCount: () => open.size,
    close: () => closeServer(server, open),
  };
}

/** Closes the listener and every connection; resolves once the listener is closed. */
export function closeServer(server: Server, sockets: Iterable<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
