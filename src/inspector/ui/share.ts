// A shared page: one HTML file holding the inspector's bundle, its styles, the trace, the charts and the step and
// actor to open at, so it opens from file:// with no server and makes no request at all (its CSP forbids them).
/// <reference lib="dom" />

import type { Chart } from '../../export/chart.js';
import type { TracePayload } from './inspector.js';
import { ELK_WORKER_ID, ELK_WORKER_PATH } from './layout.js';

/** What a shared page embeds besides the code: the trace as the server would serve it, its charts, where to open. */
export interface SharedData {
  readonly trace: TracePayload;
  readonly charts: Record<string, Chart>;
  readonly step: number | null;
  readonly actor: string | null;
}

/** Id of the script element holding the data. */
export const SHARED_DATA_ID = 'statevisor-shared';

/**
 * JSON that is safe inside a script element: every `<` is written `\u003c` (it can only occur inside a JSON
 * string), so no payload can close the element (`</script>`) or open a comment-like escape (`<!--`). U+2028/9
 * are escaped too, though JSON.parse reads them raw, so the text also reads as a JavaScript literal.
 */
export function scriptJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error('inspector: nothing to embed');
  return text
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Code that is safe inside a script element: esbuild writes `</script` in strings as `<\/script`, and a bundle
 * that still contains it, or `<!--` (which could start the parser's escaped state), is refused, not patched.
 */
export function scriptCode(js: string): string {
  // Written `-{2}` so that this very check, bundled into the page it saves, does not contain what it looks for.
  const bad = /<\/script|<!-{2}/i.exec(js);
  if (bad !== null) throw new Error(`inspector: the bundle contains '${bad[0]}' and cannot be inlined`);
  return js;
}

/**
 * The shared page's HTML: one file, no external reference (a test checks it makes no request). ELK's worker script,
 * when given, is embedded as inert text that the page starts as a `blob:` worker (the CSP's one allowance, which
 * is no request); without it the page lays charts out inline.
 */
export function sharedHtml(js: string, css: string, data: SharedData, elkWorker = ''): string {
  if (/<\/style/i.test(css)) throw new Error('inspector: the styles contain </style and cannot be inlined');
  const csp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:" +
    (elkWorker !== '' ? '; worker-src blob:' : '');
  const title = `statevisor · ${String(data.trace.header?.scenario ?? 'trace')}`.replace(/[<>&"]/g, '');
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    `<title>${title}</title><style>${css}</style></head><body><div id="app"></div>`,
    `<script type="application/json" id="${SHARED_DATA_ID}">${scriptJson(data)}</script>`,
    ...(elkWorker !== '' ? [`<script type="text/plain" id="${ELK_WORKER_ID}">${scriptCode(elkWorker)}</script>`] : []),
    `<script type="module">${scriptCode(js)}</script></body></html>`,
    '',
  ].join('\n');
}

/** The data of a shared page, or null on a served one. */
export function readShared(): SharedData | null {
  const el = document.getElementById(SHARED_DATA_ID);
  if (el === null) return null;
  return JSON.parse(el.textContent ?? 'null') as SharedData;
}

/** The page's own code, styles and ELK worker: inline in a shared page, from the server otherwise. */
async function pageCode(): Promise<{ js: string; css: string; worker: string }> {
  const inline = document.querySelector('script[type="module"]:not([src])');
  const style = document.querySelector('head style');
  if (inline !== null && style !== null) {
    // A page saved before the worker was embedded has none, and passes that on: its copies lay out inline too.
    const worker = document.getElementById(ELK_WORKER_ID)?.textContent ?? '';
    return { js: inline.textContent ?? '', css: style.textContent ?? '', worker };
  }
  const get = async (path: string) => {
    const res = await fetch(path, { cache: 'no-store' });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.text();
  };
  const [js, css, worker] = await Promise.all([get('/app.js'), get('/app.css'), get(ELK_WORKER_PATH)]);
  return { js, css, worker };
}

/**
 * The header's "save HTML" button: downloads this page as a shared page at the current step and actor. It works
 * on a served page and on a shared one alike (which is how a shared page is passed on at another step).
 */
export function shareButton(data: () => SharedData): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'small';
  b.dataset.testid = 'save-html';
  b.title = 'save this page as one HTML file that opens here, at this step and actor, with no server';
  b.textContent = 'save HTML';
  b.addEventListener('click', () => {
    const d = data();
    b.disabled = true;
    void pageCode()
      .then(({ js, css, worker }) => {
        const url = URL.createObjectURL(new Blob([sharedHtml(js, css, d, worker)], { type: 'text/html' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = `${String(d.trace.header?.scenario ?? 'trace').replace(/[^\w.-]+/g, '_')}-step${d.step ?? 0}.html`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      })
      .catch((err: unknown) => {
        b.title = `could not save the page: ${String(err)}`;
      })
      .finally(() => {
        b.disabled = false;
      });
  });
  return b;
}
