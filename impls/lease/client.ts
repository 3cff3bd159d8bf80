// A real lease client over TCP (plain node:net) that statevisor tests against the node chart of
// examples/lease-handover.ts: it asks, leads while its own clock says the lease holds, renews, and steps down.

import { connect, type Socket } from 'node:net';
import { readLines, wholeNumber } from './server.js';

/** A timer the kernel fires may read 1 µs short of the deadline it was set for (rounding): that is on time. */
export const ALARM_SLACK_US = 2;

/** The client never has more than an act, a renewal and a few countdowns pending; more means a leak. */
const MAX_ALARMS = 16;

export type LeaseClientBug = 'ignores-margin' | 'renews-without-asking';
export type LeaseAlarmKind = 'act' | 'renew' | 'lapse';
export type LeaseClientPhase = 'idle' | 'asking' | 'standingBy' | 'leading' | 'retired';

export interface LeaseClientOptions {
  /** Its own name, written in its requests. */
  readonly self: string;
  readonly host: string;
  readonly port: number;
  readonly leaseUs: number;
  readonly marginUs: number;
  readonly renewAfterUs: number;
  readonly actUs: number;
  /** Grants it takes (the first and its renewals) before it steps down for good. */
  readonly terms: number;
  /** This host's clock (µs), read when a line from the server arrives: the client never reads wall time. */
  readonly clock: () => number;
  /** A leader write, made while its lease holds by its own clock. */
  readonly onAct: (term: number) => void;
  readonly bug?: LeaseClientBug;
}

interface Alarm {
  readonly kind: LeaseAlarmKind;
  readonly atUs: number;
  /** Arming order: of two alarms due at once, the older goes first. */
  readonly seq: number;
  /** The request a countdown belongs to (0 for the others). */
  readonly req: number;
}

/**
 * One node's side of the lease. `start` and `tick` take the host clock's reading; a tick fires the earliest due
 * alarm (or, given a kind, the earliest due one of that kind, since two may fall due at the same instant).
 */
export class LeaseClient {
  phase: LeaseClientPhase = 'idle';
  /** The latest request sent, and the one whose grant it holds (0: none). */
  req = 0;
  heldReq = 0;
  term = 0;
  grants = 0;
  acts = 0;
  /** Lines written, and lines from the server handled: a caller can tell when it has seen all the client did. */
  sent = 0;
  handled = 0;
  /** Why the connection failed or the server's line made no sense, if it did. */
  failure: Error | null = null;
  private alarms: Alarm[] = [];
  private seq = 0;

  private constructor(
    private readonly options: LeaseClientOptions,
    private readonly socket: Socket,
  ) {
    readLines(socket, (line) => this.onLine(line));
    socket.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Connects to a lease server (or anything speaking its protocol) and waits until the connection is up. */
  static connect(options: LeaseClientOptions): Promise<LeaseClient> {
    if (options.marginUs >= options.leaseUs) {
      throw new Error(`LeaseClient: marginUs (${options.marginUs}) must be below leaseUs (${options.leaseUs})`);
    }
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new LeaseClient(options, socket));
      });
    });
  }

  /** How long a grant is believed, from the moment its request left, by this host's clock. */
  get validityUs(): number {
    const o = this.options;
    return o.bug === 'ignores-margin' ? o.leaseUs : o.leaseUs - o.marginUs;
  }

  /** Deadlines pending, earliest first (for tests and diagnostics). */
  pendingAlarms(): readonly { kind: LeaseAlarmKind; atUs: number; req: number }[] {
    return [...this.alarms].sort(byDue).map(({ kind, atUs, req }) => ({ kind, atUs, req }));
  }

  /** It wants to lead from now on: it asks for the lease. */
  start(nowUs: number): void {
    if (this.phase !== 'idle') throw new Error(`LeaseClient ${this.options.self}: started twice (it is ${this.phase})`);
    this.ask(nowUs);
  }

  /** The host's timer woke it at `nowUs`: fires the earliest alarm due by then, if any; says which fired. */
  tick(nowUs: number, kind?: LeaseAlarmKind): LeaseAlarmKind | null {
    const due = this.alarms
      .filter((a) => (kind === undefined || a.kind === kind) && a.atUs <= nowUs + ALARM_SLACK_US)
      .sort(byDue)[0];
    if (due === undefined) return null;
    this.alarms = this.alarms.filter((a) => a !== due);
    if (due.kind === 'act') this.act(nowUs);
    else if (due.kind === 'renew') this.renew(nowUs);
    else this.lapse(due.req, nowUs);
    return due.kind;
  }

  /** Closes the connection (the host crashed or the test is over): its state is gone with it. */
  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private onLine(line: string): void {
    const words = line.split(' ');
    const [head] = words;
    if (head === 'GRANTED' && words.length === 3) {
      const term = wholeNumber(words[1]);
      const req = wholeNumber(words[2]);
      if (term !== null && req !== null) this.granted(term, req, this.options.clock());
      else this.fail(line);
    } else if (head === 'BUSY' && words.length === 2) {
      const req = wholeNumber(words[1]);
      if (req !== null) this.busy(req);
      else this.fail(line);
    } else if (head === 'FREE' && words.length === 1) {
      if (this.phase === 'standingBy') this.ask(this.options.clock());
    } else if (head !== 'DONE' || words.length !== 1) {
      // DONE only marks the end of a line's answers; anything else unknown is a broken server.
      this.fail(line);
    }
    this.handled += 1;
  }

  private fail(line: string): void {
    this.failure ??= new Error(`LeaseClient ${this.options.self}: unexpected line from the server: '${line}'`);
  }

  private granted(term: number, req: number, nowUs: number): void {
    if (req !== this.req) return;
    if (this.phase === 'asking') {
      this.hold(term);
      this.lead(nowUs);
    } else if (this.phase === 'leading') {
      // A renewal: the grant it held is superseded, and its countdown with it.
      this.dropCountdowns(false);
      this.hold(term);
      this.armRenew(nowUs);
    }
  }

  private busy(req: number): void {
    if (req !== this.req || (this.phase !== 'asking' && this.phase !== 'leading')) return;
    // Someone else holds it: stop leading at once and wait to hear it is free.
    this.dropCountdowns(true);
    this.stopLeading();
    this.phase = 'standingBy';
  }

  private hold(term: number): void {
    this.heldReq = this.req;
    this.term = term;
    this.grants += 1;
  }

  private ask(nowUs: number): void {
    this.phase = 'asking';
    this.req += 1;
    this.write(`REQ ${this.options.self} ${this.req} ${nowUs}`);
    this.armCountdown(nowUs);
  }

  /** The countdown starts when the request leaves, not when the grant arrives: the server's lease began between. */
  private armCountdown(nowUs: number): void {
    this.arm('lapse', nowUs + this.validityUs, this.req);
  }

  private lead(nowUs: number): void {
    this.phase = 'leading';
    this.act(nowUs);
    this.armRenew(nowUs);
  }

  private act(nowUs: number): void {
    if (this.phase !== 'leading') throw new Error(`LeaseClient ${this.options.self}: an act alarm while ${this.phase}`);
    this.acts += 1;
    this.options.onAct(this.term);
    this.arm('act', nowUs + this.options.actUs, 0);
  }

  private armRenew(nowUs: number): void {
    if (this.grants < this.options.terms) this.arm('renew', nowUs + this.options.renewAfterUs, 0);
  }

  private renew(nowUs: number): void {
    if (this.phase !== 'leading')
      throw new Error(`LeaseClient ${this.options.self}: a renew alarm while ${this.phase}`);
    this.req += 1;
    if (this.options.bug === 'renews-without-asking') this.heldReq = this.req;
    else this.write(`REQ ${this.options.self} ${this.req} ${nowUs}`);
    this.armCountdown(nowUs);
  }

  /** A countdown ran out: only the held grant's ends its lease (an older one was superseded by a renewal). */
  private lapse(req: number, nowUs: number): void {
    if (this.phase !== 'leading' || req !== this.heldReq) return;
    this.stopLeading();
    if (this.grants < this.options.terms) this.ask(nowUs);
    else this.phase = 'retired';
  }

  private stopLeading(): void {
    this.alarms = this.alarms.filter((a) => a.kind === 'lapse');
  }

  /** Countdowns that no longer mean anything: the held grant's, and on a refusal the refused request's. */
  private dropCountdowns(refused: boolean): void {
    this.alarms = this.alarms.filter(
      (a) => a.kind !== 'lapse' || !((refused && a.req === this.req) || (this.heldReq > 0 && a.req === this.heldReq)),
    );
  }

  /** Arms an alarm; one of the same kind (and request) pending is replaced, as a re-armed timer is. */
  private arm(kind: LeaseAlarmKind, atUs: number, req: number): void {
    this.alarms = this.alarms.filter((a) => a.kind !== kind || a.req !== req);
    if (this.alarms.length >= MAX_ALARMS) {
      throw new Error(`LeaseClient ${this.options.self}: more than ${MAX_ALARMS} alarms pending`);
    }
    this.alarms.push({ kind, atUs, seq: this.seq++, req });
  }

  private write(line: string): void {
    if (this.socket.destroyed) throw new Error(`LeaseClient ${this.options.self}: its connection is closed`);
    this.socket.write(`${line}\n`);
    this.sent += 1;
  }
}

function byDue(a: Alarm, b: Alarm): number {
  return a.atUs - b.atUs || a.seq - b.seq;
}
