// Hostile input to the `statevisor` command: prototype keys, deep or endless files, devices and FIFOs as outputs,
// busy ports, flags that would do nothing, numbers in the wrong grammar. The table runs the CLI's `main` in this
// process (any error other than the one-line kind escapes as an exception, as it would as a stack trace); the
// cases that need a real process run as one. Each gives exit 2, one stderr line naming the field, no file left.

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startInspect } from './inspectProcess.js';

const BIN = join(import.meta.dirname, '../../bin/statevisor.js');
const root = mkdtempSync(join(tmpdir(), 'statevisor-hostile-'));
const fx = join(root, 'fixtures');
const isRoot = process.getuid?.() === 0;

interface Result {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs the CLI's `main` in this process with `cwd` as the working directory (tests in a file run one at a time,
 * so changing it is safe). An exception that escapes `main` is what a user would see as a stack trace.
 */
async function cliHere(cwd: string, args: readonly string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
    return { code, out: out.join('\n'), err: err.map((l) => `${l}\n`).join('') };
  } finally {
    process.chdir(previous);
  }
}

/** Runs the CLI in `cwd`; killed after 30 s, so a regression that reads /dev/zero forever fails instead of hanging. */
function cli(cwd: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Every entry under `dir` with its kind, so a replaced FIFO or a new trace shows up as a difference. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const st = lstatSync(join(d, name));
      const kind = st.isFile()
        ? 'file'
        : st.isDirectory()
          ? 'dir'
          : st.isSymbolicLink()
            ? 'link'
            : st.isFIFO()
              ? 'fifo'
              : st.isSocket()
                ? 'socket'
                : st.isCharacterDevice()
                  ? 'chardev'
                  : 'other';
      out.push(`${prefix}${name} ${kind}`);
      if (st.isDirectory()) walk(join(d, name), `${prefix}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

/** Kinds of output target a row can plant in its working directory before the run. */
type Plant = 'fifo' | 'symlink' | 'chardev' | 'socket' | 'dir';
interface Row {
  readonly name: string;
  readonly args: readonly string[];
  /** The single stderr line (after "statevisor: ") must match this; it names the field. */
  readonly error: RegExp;
  /** Output targets to create (relative to the row's working directory) before running. */
  readonly plant?: Readonly<Record<string, Plant>>;
  readonly skip?: boolean;
}

const sockets: Server[] = [];
let busyPort = 0;

async function plant(dir: string, targets: Readonly<Record<string, Plant>>): Promise<void> {
  for (const [rel, kind] of Object.entries(targets)) {
    const path = join(dir, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    if (kind === 'fifo') spawnSync('mkfifo', [path]);
    else if (kind === 'symlink') symlinkSync(join(fx, 'victim.txt'), path);
    else if (kind === 'chardev') spawnSync('mknod', [path, 'c', '1', '3']);
    else if (kind === 'dir') mkdirSync(path);
    else {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(path, resolve));
      sockets.push(server);
    }
  }
}

/** A fixture file (parameter files, traces), by absolute path. */
const F = (name: string) => join(fx, name);
const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
const canMknod = (() => {
  const probe = join(tmpdir(), `statevisor-mknod-${process.pid}`);
  const ok = spawnSync('mknod', [probe, 'c', '1', '3']).status === 0;
  spawnSync('rm', ['-f', probe]);
  return ok;
})();

const rows: Row[] = [
  // 1. Prototype keys are unknown parameters, from --set, a --params file and a trace header alike.
  ...PROTO_KEYS.map((k) => ({
    name: `--set ${k}`,
    args: ['run', 'ping-pong', '--set', `${k}=${k === 'hasOwnProperty' ? 'x' : '1'}`, '--trace', 't.jsonl'],
    error: new RegExp(`^${k}: unknown parameter of scenario 'ping-pong'`),
  })),
  {
    name: 'check --set constructor',
    args: ['check', 'ping-pong', '--set', 'constructor=1'],
    error: /^constructor: unknown parameter/,
  },
  ...PROTO_KEYS.map((k) => ({
    name: `--params file with ${k}`,
    args: ['run', 'ping-pong', '--params', F(`proto-${k}.json`), '--trace', 't.jsonl'],
    error: new RegExp(`proto-${k}\\.json: ${k}: unknown parameter of scenario 'ping-pong'`),
  })),
  ...PROTO_KEYS.map((k) => ({
    name: `trace header params with ${k}`,
    args: ['replay', F(`proto-${k}.jsonl`)],
    error: new RegExp(`proto-${k}\\.jsonl:1: params\\.${k}: unknown parameter`),
  })),
  { name: 'help constructor', args: ['help', 'constructor'], error: /^help: unknown command 'constructor'/ },
  { name: 'command toString', args: ['toString'], error: /^unknown command 'toString'/ },
  {
    name: 'export --format constructor',
    args: ['export', 'replica', '--format', 'constructor'],
    error: /^--format: expected mermaid, json or dot, got 'constructor'/,
  },
  // 2. Nesting is bounded before anything walks it.
  {
    name: '--params nested 100 000 objects deep',
    args: ['run', 'ping-pong', '--params', F('deep-object.json'), '--trace', 't.jsonl'],
    error: /deep-object\.json:1: JSON nests deeper than 256 levels/,
  },
  {
    name: '--params value nested 100 000 arrays deep',
    args: ['check', 'ping-pong', '--params', F('deep-array.json')],
    error: /deep-array\.json:1: JSON nests deeper than 256 levels/,
  },
  {
    name: 'trace line nested 100 000 deep',
    args: ['replay', F('deep.jsonl')],
    error: /deep\.jsonl:2: JSON nests deeper than 256 levels/,
  },
  // 3. User files: regular files only, under a size cap, read through a bounded loop.
  {
    name: '--params /dev/zero',
    args: ['run', 'ping-pong', '--params', '/dev/zero', '--trace', 't.jsonl'],
    error: /^--params: cannot read '\/dev\/zero': it is a character device; expected a regular file/,
  },
  {
    name: 'replay /dev/zero',
    args: ['replay', '/dev/zero'],
    error: /^replay: cannot read trace '\/dev\/zero': it is a character device/,
  },
  {
    name: 'replay /dev/urandom',
    args: ['replay', '/dev/urandom'],
    error: /^replay: cannot read trace '\/dev\/urandom': it is a character device/,
  },
  {
    name: '--params FIFO (never waited on)',
    args: ['check', 'ping-pong', '--params', F('fifo.json')],
    error: /^--params: cannot read '.*fifo\.json': it is a FIFO; expected a regular file/,
  },
  { name: 'replay a directory', args: ['replay', fx], error: /^replay: cannot read trace '.*': it is a directory/ },
  {
    name: '--params over 1 MiB',
    args: ['run', 'ping-pong', '--params', F('big.json')],
    error: /^--params: cannot read '.*big\.json': larger than the 1 MiB limit/,
  },
  {
    name: 'trace over 512 MiB (sparse)',
    args: ['replay', F('huge.jsonl')],
    error: /^replay: cannot read trace '.*huge\.jsonl': larger than the (512 MiB|\d+ bytes) limit/,
  },
  // 4. A port that cannot be bound is one line naming --port.
  {
    name: 'inspect --port busy',
    args: ['inspect', F('good.jsonl'), '--port', 'BUSY'],
    error: /^--port: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
  },
  {
    name: 'run --inspect --port busy',
    args: ['run', 'ping-pong', '--inspect', '--port', 'BUSY', '--trace', 't.jsonl'],
    error: /^--port: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
  },
  {
    name: 'inspect --port privileged (not root)',
    args: ['inspect', F('good.jsonl'), '--port', '1'],
    error: /^--port: cannot listen on 127\.0\.0\.1:1: EACCES/,
    skip: isRoot,
  },
  // 5. --min-coverage takes a number, not an empty string.
  ...['', 'abc', '1e1', '0x10', '101', '-1'].map((v) => ({
    name: `gen-tests --min-coverage '${v}'`,
    args: ['gen-tests', 'sriovNic', '--out', 'gen', `--min-coverage=${v}`],
    error: /^--min-coverage: expected a percentage in \[0, 100\]/,
  })),
  // 6. An output target that is not a regular file is refused before any work, and left as it was.
  ...(['fifo', 'symlink', 'chardev', 'socket', 'dir'] as const).map((kind) => ({
    name: `run --trace onto a ${kind}`,
    args: ['run', 'ping-pong', '--trace', 'target'],
    plant: { target: kind },
    error:
      /^--trace: 'target' is (a FIFO|a symbolic link|a character device|a socket|a directory); refusing to replace it/,
    skip: kind === 'chardev' && !canMknod,
  })),
  {
    name: 'check --trace onto a FIFO',
    args: ['check', 'ping-pong', '--mutant', 'accept-any-reply', '--trace', 'cex'],
    plant: { cex: 'fifo' },
    error: /^--trace: 'cex' is a FIFO/,
  },
  {
    name: 'check --mode random default trace onto a symlink',
    args: ['check', 'ping-pong', '--mode', 'random', '--mutant', 'accept-any-reply'],
    plant: { 'traces/ping-pong-accept-any-reply-counterexample.jsonl': 'symlink' },
    error: /^--trace: 'traces\/ping-pong-accept-any-reply-counterexample\.jsonl' is a symbolic link/,
  },
  {
    name: 'check --trace onto a character device',
    args: ['check', 'ping-pong', '--trace', 'dev'],
    plant: { dev: 'chardev' },
    error: /^--trace: 'dev' is a character device/,
    skip: !canMknod,
  },
  {
    name: 'export --out with a symlinked chart',
    args: ['export', 'replica', '--out', 'charts'],
    plant: { 'charts/replica.mmd': 'symlink' },
    error: /^--out: 'charts\/replica\.mmd' is a symbolic link/,
  },
  {
    name: 'gen-tests --out with a FIFO vector file',
    args: ['gen-tests', 'sriovNic', '--out', 'gen'],
    plant: { 'gen/sriovNic.vectors.json': 'fifo' },
    error: /^--out: 'gen\/sriovNic\.vectors\.json' is a FIFO/,
  },
  {
    name: 'gen-tests --protocol --out with a symlinked vector file',
    args: ['gen-tests', '--protocol', 'ping-pong', '--out', 'gen'],
    plant: { 'gen/ping-pong.protocol-vectors.json': 'symlink' },
    error: /^--out: 'gen\/ping-pong\.protocol-vectors\.json' is a symbolic link/,
  },
  // 8. Flags that would do nothing are refused, naming the flag and why.
  {
    name: '--port without --inspect',
    args: ['run', 'ping-pong', '--port', '8080', '--trace', 't.jsonl'],
    error: /^--port: only with --inspect/,
  },
  {
    name: '--pace without --inspect',
    args: ['run', 'ping-pong', '--pace', '10'],
    error: /^--pace: only with --inspect/,
  },
  {
    name: 'ping mutant in an HA scenario',
    args: ['run', 'ha-steady', '--mutant', 'accept-any-reply', '--trace', 't.jsonl'],
    error:
      /^--mutant: no mutant 'accept-any-reply' can run in scenario 'ha-steady' \(mutants for it: runs-while-stunned,/,
  },
  {
    name: 'HA mutant in ping-pong (check)',
    args: ['check', 'ping-pong', '--mutant', 'no-fencing'],
    error: /^--mutant: no mutant 'no-fencing' can run in scenario 'ping-pong' \(mutants for it: accept-any-reply/,
  },
  {
    name: 'trace header with a mutant of another family',
    args: ['replay', F('mutant.jsonl')],
    error: /mutant\.jsonl:1: field "mutant": no mutant 'no-fencing' can run in scenario 'ping-pong'/,
  },
  {
    name: '--seed given twice',
    args: ['run', 'ping-pong', '--seed', '1', '--seed', '2'],
    error: /^--seed: given more than once/,
  },
  {
    name: '--max-states given twice',
    args: ['check', 'ping-pong', '--max-states', '10', '--max-states', '20'],
    error: /^--max-states: given more than once/,
  },
  {
    name: '--set of one name twice',
    args: ['run', 'ping-pong', '--set', 'pings=1', '--set', 'pings=2'],
    error: /^--set: pings given more than once/,
  },
  ...(['--seeds 10', '--first-seed 3', '--no-shrink'] as const).map((flag) => ({
    name: `${flag} in bfs mode`,
    args: ['check', 'ping-pong', ...flag.split(' ')],
    error: new RegExp(`^${flag.split(' ')[0]}: only with --mode random or swarm; --mode bfs`),
  })),
  {
    name: '--workers 2 in dfs mode (only BFS runs on several threads)',
    args: ['check', 'ping-pong', '--mode', 'dfs', '--workers', '2'],
    error: /^--workers: only BFS runs on several threads; drop --mode dfs/,
  },
  {
    name: '--seeds in dfs mode',
    args: ['check', 'ping-pong', '--mode', 'dfs', '--seeds', '10'],
    error: /^--seeds: only with --mode random or swarm; --mode dfs/,
  },
  ...(['--max-depth 5', '--max-states 5', '--max-memory 64'] as const).map((flag) => ({
    name: `${flag} in random mode`,
    args: ['check', 'ping-pong', '--mode', 'random', ...flag.split(' ')],
    error: new RegExp(`^${flag.split(' ')[0]}: only with --mode bfs or dfs; --mode random`),
  })),
  {
    name: '--max-depth in swarm mode',
    args: ['check', 'ping-pong', '--mode', 'swarm', '--max-depth', '5'],
    error: /^--max-depth: only with --mode bfs or dfs; --mode swarm/,
  },
  {
    name: '--compact with --format json',
    args: ['export', 'replica', '--format', 'json', '--compact'],
    error: /^--compact: only with --format mermaid or dot/,
  },
  {
    name: '--paths with --protocol',
    args: ['gen-tests', '--protocol', 'ping-pong', '--out', 'gen', '--paths', 'simple'],
    error: /^--paths: has no effect with --protocol/,
  },
  {
    name: '--min-coverage with --protocol',
    args: ['gen-tests', '--protocol', 'ping-pong', '--out', 'gen', '--min-coverage', '50'],
    error: /^--min-coverage: has no effect with --protocol/,
  },
  { name: '--quiet with --json', args: ['run', 'ping-pong', '--json', '--quiet'], error: /^--quiet: has no effect/ },
  // 9. One number grammar: decimal digits, no hex, exponent, '+', spaces or empty strings.
  ...['0x10', '1e1', '+5', ' 5', '', '5.0', '-0x1'].map((v) => ({
    name: `--set pings='${v}'`,
    args: ['run', 'ping-pong', '--set', `pings=${v}`, '--trace', 't.jsonl'],
    error: /^pings: expected an integer in \[1, 100000\], got "/,
  })),
  ...['1e-1', '.5', '+0.1', '0.1 ', 'Infinity'].map((v) => ({
    name: `--set dropRate='${v}'`,
    args: ['run', 'ping-pong', '--set', `dropRate=${v}`],
    error: /^dropRate: expected a number in \[0, 1\], got "/,
  })),
  ...['0x10', '1e1', '+1', ' 1', ''].map((v) => ({
    name: `--seed '${v}'`,
    args: ['run', 'ping-pong', '--seed', v, '--trace', 't.jsonl'],
    error: /^--seed: expected a non-negative integer, got '/,
  })),
  { name: '--steps 1e3', args: ['run', 'ping-pong', '--steps', '1e3'], error: /^--steps: expected a non-negative/ },
  { name: '--max-states 0x10', args: ['check', 'ping-pong', '--max-states', '0x10'], error: /^--max-states: expected/ },
  {
    name: '--params JSON fraction for an int',
    args: ['run', 'ping-pong', '--params', F('fraction.json')],
    error: /fraction\.json: pings: expected an integer in \[1, 100000\], got 1\.5/,
  },
  {
    name: '--params hex string',
    args: ['run', 'ping-pong', '--params', F('hex.json')],
    error: /hex\.json: pings: expected an integer in \[1, 100000\], got "0x10"/,
  },
  {
    name: '--params number out of double range',
    args: ['run', 'ping-pong', '--params', F('infinite.json')],
    error: /infinite\.json: dropRate: expected a number in \[0, 1\], got Infinity/,
  },
  {
    name: 'trace header param in hex',
    args: ['replay', F('hex.jsonl')],
    error: /hex\.jsonl:1: params\.pings: expected an integer in \[1, 100000\], got "0x14"/,
  },
  // A value smuggling a newline still makes one line.
  {
    name: '--set name with a newline',
    args: ['run', 'ping-pong', '--set', 'a\nb=1'],
    error: /^a\\nb: unknown parameter/,
  },
];

beforeAll(async () => {
  mkdirSync(fx);
  writeFileSync(F('victim.txt'), 'must survive\n');
  for (const k of PROTO_KEYS) writeFileSync(F(`proto-${k}.json`), `{"${k}": 1}`);
  writeFileSync(F('deep-object.json'), `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
  writeFileSync(F('deep-array.json'), `{"pings":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  writeFileSync(F('big.json'), `{"pings": 5}${' '.repeat(1024 * 1024)}`);
  writeFileSync(F('fraction.json'), '{"pings": 1.5}');
  writeFileSync(F('hex.json'), '{"pings": "0x10"}');
  writeFileSync(F('infinite.json'), '{"dropRate": 1e400}');
  spawnSync('mkfifo', [F('fifo.json')]);
  // A sparse file: it reports 600 MiB without taking the disk space.
  const huge = openSync(F('huge.jsonl'), 'w');
  closeSync(huge);
  spawnSync('truncate', ['-s', '600M', F('huge.jsonl')]);

  const made = await cli(fx, ['run', 'ping-pong', '--trace', F('good.jsonl'), '--quiet']);
  expect(made.code, made.err).toBe(0);
  const lines = readFileSync(F('good.jsonl'), 'utf8').split('\n');
  const header = lines[0] as string;
  const withHeader = (h: string, rest = lines.slice(1)) => [h, ...rest].join('\n');
  for (const k of PROTO_KEYS) {
    writeFileSync(F(`proto-${k}.jsonl`), withHeader(header.replace('"params":{', `"params":{"${k}":1,`)));
  }
  writeFileSync(F('hex.jsonl'), withHeader(header.replace('"pings":20', '"pings":"0x14"')));
  writeFileSync(F('mutant.jsonl'), withHeader(header.replace('"seed":1,', '"seed":1,"mutant":"no-fencing",')));
  const deepLine = `{"type":"x","a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  writeFileSync(F('deep.jsonl'), withHeader(header, [deepLine, ...lines.slice(1)]));

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
  sockets.push(busy);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) await new Promise((resolve) => s.close(resolve));
});

describe('cli: hostile input', () => {
  const skipped = rows.filter((r) => r.skip === true);
  if (skipped.length > 0) it.skip.each(skipped.map((r) => [r.name]))('%s', () => {});
  it.each(rows.filter((r) => r.skip !== true).map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const dir = mkdtempSync(join(root, 'case-'));
    await plant(dir, row.plant ?? {});
    const before = listing(dir);
    const r = await cliHere(
      dir,
      row.args.map((a) => (a === 'BUSY' ? String(busyPort) : a)),
    );
    expect(r.code, `${r.out}\n${r.err}`).toBe(2);
    const lines = r.err.split('\n').filter((l) => l !== '');
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toMatch(/^statevisor: /);
    expect((lines[0] as string).slice('statevisor: '.length)).toMatch(row.error);
    expect(r.err).not.toMatch(/\n\s+at |Error:|RangeError|TypeError/);
    // Nothing written, nothing replaced: the working directory is exactly as planted.
    expect(listing(dir)).toEqual(before);
    expect(readFileSync(F('victim.txt'), 'utf8')).toBe('must survive\n');
  });

  it('replays a CRLF copy of a trace as byte-identical (exit 0)', async () => {
    const crlf = F('crlf.jsonl');
    writeFileSync(crlf, readFileSync(F('good.jsonl'), 'utf8').replace(/\n/g, '\r\n'));
    const r = await cli(fx, ['replay', crlf]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('byte-identical');
  });

  it('random and swarm search honour --max-time and report the bound hit (text and JSON)', async () => {
    // The walks counted prove the search stopped on the bound, not on running out of seeds; no wall clock here.
    const json = await cli(fx, [
      'check',
      'ha-failover',
      '--mode',
      'random',
      '--seeds',
      '100000000',
      '--max-time',
      '2',
      '--workers',
      '1',
      '--json',
      '--trace',
      join(fx, 'never.jsonl'),
    ]);
    expect(json.code, json.err).toBe(0);
    const j = JSON.parse(json.out);
    expect(j).toMatchObject({ verdict: 'bound-hit', boundsHit: ['time'], limits: { maxTimeMs: 2000 } });
    expect(j.walks).toBeGreaterThan(0);
    expect(j.walks).toBeLessThan(100_000_000);
    const text = await cli(fx, [
      'check',
      'ping-pong',
      '--mode',
      'swarm',
      '--seeds',
      '100000000',
      '--max-time',
      '1',
      '--workers',
      '2',
    ]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/BOUND HIT \(time\): --max-time 1 s passed after \d+ of 100000000 walks/);
  });

  it('inspect of /dev/zero: one line, a banner on the page, exit 2 on Ctrl-C', async () => {
    const inspector = await startInspect('/dev/zero');
    const api = await (await fetch(`${inspector.url}api/trace`)).json();
    expect(api.error).toMatch(/cannot read trace '\/dev\/zero': it is a character device/);
    const code = await inspector.stop();
    const err = inspector.err();
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
