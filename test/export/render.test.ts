// Every chart `statevisor export` writes, drawn by the real renderers: Graphviz's `dot` and Mermaid in Debian's
// chromium. A chart that only looks like DOT or Mermaid can still be refused or mis-drawn by them.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { CHROMIUM, chromiumPresent, launchChromium } from '../../src/inspector/browser.js';

const root = join(import.meta.dirname, '../..');
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(root, 'examples', f));

/** What `export` writes, file by file: every shipped machine and every example's, plain and --compact. */
async function exported(format: 'mermaid' | 'dot'): Promise<{ name: string; text: string }[]> {
  const charts: { name: string; text: string }[] = [];
  for (const what of ['all', ...examples]) {
    for (const compact of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'statevisor-render-'));
      const args = ['export', what, '--format', format, '--out', dir, ...(compact ? ['--compact'] : [])];
      const errors: string[] = [];
      const code = await main(args, { out: () => {}, err: (t) => errors.push(t), progress: false });
      if (code !== 0) throw new Error(`statevisor ${args.join(' ')}: exit ${code}: ${errors.join(' ')}`);
      for (const f of readdirSync(dir).sort()) {
        const name = `${f.replace(/\.[a-z]+$/, '')}${compact ? ' --compact' : ''}`;
        charts.push({ name, text: readFileSync(join(dir, f), 'utf8') });
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return charts;
}

const dotPresent = spawnSync('dot', ['-V']).status === 0;
const browserPresent = chromiumPresent();
for (const [present, what] of [
  [dotPresent, "Graphviz's dot (apt-get install graphviz)"],
  [browserPresent, `${CHROMIUM} (apt-get install chromium)`],
] as const) {
  if (!present && process.env.CI)
    throw new Error(`${what} is missing: .ci/run installs it, and CI renders every chart`);
  if (!present) console.warn(`export render: ${what} not found, skipping its rendering test`);
}

const dotCharts = await exported('dot');

/** `dot -Tsvg` on one chart: its exit status, SVG and messages. */
function graphviz(text: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('dot', ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(text);
  });
}

describe.skipIf(!dotPresent)('Graphviz renders every exported DOT chart', () => {
  // Concurrent: each chart is its own `dot` process, and both cores can lay one out.
  it.concurrent.for(dotCharts)('$name', async ({ text }, { expect }) => {
    const r = await graphviz(text);
    // A warning is a drawing Graphviz had to change: an ltail/lhead it dropped, an edge it could not clip.
    expect(r.stderr.split('\n').filter((l) => l.trim() !== '')).toEqual([]);
    expect(r.status).toBe(0);
    // Every node drawn is one the chart declares: an edge naming an undeclared node draws a stray box.
    const declared = new Set([...text.matchAll(/^\s*("(?:[^"\\]|\\.)*") \[/gm)].map((m) => JSON.parse(m[1] as string)));
    const drawn = [...r.stdout.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>/g)].map((m) =>
      unescapeXml(m[1] as string),
    );
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.filter((n) => !declared.has(n))).toEqual([]);
  });
});

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Mermaid's own parser and renderer on one chart, in the page; the error it gave, or null. */
function mermaidError(page: Page, text: string, layout?: 'elk' | 'dagre'): Promise<string | null> {
  return page.evaluate(
    async ([text, layout]) => {
      type Mermaid = {
        initialize(config: object): void;
        parse(text: string): Promise<unknown>;
        render(id: string, text: string): Promise<{ svg: string }>;
      };
      const mermaid = (globalThis as unknown as { mermaid: Mermaid }).mermaid;
      mermaid.initialize({ startOnLoad: false, suppressErrorRendering: true, ...(layout ? { layout } : {}) });
      try {
        await mermaid.parse(text);
      } catch (e) {
        return `parse: ${e instanceof Error ? e.message : String(e)}`;
      }
      try {
        const { svg } = await mermaid.render('chart', text);
        return svg.includes('<svg') ? null : 'render: no SVG';
      } catch (e) {
        return `render: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
    [text, layout] as const,
  );
}

describe.skipIf(!browserPresent)('Mermaid renders every exported chart and the README', () => {
  let browser: Browser;
  // Two pages draw at once: CI's two cores each lay out a chart.
  let pages: Page[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
    const bundle = readFileSync(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'), 'utf8');
    pages = await Promise.all(
      [0, 1].map(async () => {
        const page = await browser.newPage();
        // A blank page and mermaid's self-contained bundle from node_modules: nothing is fetched.
        await page.setContent('<!doctype html><html><body></body></html>');
        await page.addScriptTag({ content: bundle });
        return page;
      }),
    );
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Each chart's error, `name: error`, for those Mermaid refused. */
  async function failures(charts: readonly { name: string; text: string }[], layout?: 'dagre'): Promise<string[]> {
    const queue = [...charts];
    const failed: string[] = [];
    const drain = async (page: Page) => {
      for (let chart = queue.shift(); chart !== undefined; chart = queue.shift()) {
        const error = await mermaidError(page, chart.text, layout);
        if (error !== null) failed.push(`${chart.name}: ${error}`);
      }
    };
    await Promise.all(pages.map(drain));
    return failed.sort();
  }

  it('every machine, plain and --compact (Mermaid’s default layout)', async () => {
    expect(await failures(await exported('mermaid'))).toEqual([]);
  });

  // test/docs.test.ts pins the README's charts to what export prints, drawn above in the default layout. They
  // are also drawn in dagre, the default layout of Mermaid 11, which Markdown viewers may still render with.
  it("the README's charts, in dagre too", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m, i) => ({
      name: `README chart ${i + 1}`,
      text: m[1] as string,
    }));
    expect(blocks).toHaveLength(3);
    expect(await failures(blocks, 'dagre')).toEqual([]);
  });
});
