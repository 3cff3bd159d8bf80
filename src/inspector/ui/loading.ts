// The page's loading phases for a large trace: download with progress, parse, lay out, each named on screen.
// A 100 k-record trace is ~100 MB of JSON and seconds of work; a blank page for that long looks like a hang.
/// <reference lib="dom" />

import { h } from './dom.js';

const MIB = 1024 * 1024;

/** The message shown in place of the inspector until it is built; the inspector replaces the page's content. */
export class LoadingView {
  readonly el = h('div', { class: 'loading', 'data-testid': 'loading', role: 'status' });

  constructor(app: HTMLElement) {
    app.replaceChildren(this.el);
  }

  set(text: string): void {
    if (this.el.textContent !== text) this.el.textContent = text;
  }

  /** Sets the text and lets the browser paint it before the caller blocks the main thread. */
  async show(text: string): Promise<void> {
    this.set(text);
    await nextPaint();
  }
}

/**
 * Resolves after the browser has had a chance to paint: a frame, then a task (rAF runs before the paint). A
 * hidden tab gets no frames, so a timer resolves it too and loading does not wait for the tab to be shown.
 */
export function nextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100);
  });
}

/** "loading trace: 42 % (20.1 MiB)", or without the percentage when the size is unknown. */
export function progressText(received: number, total: number | null): string {
  const mib = `${(received / MIB).toFixed(1)} MiB`;
  if (total === null || total <= 0) return `loading trace: ${mib}`;
  return `loading trace: ${Math.min(100, Math.floor((received / total) * 100))} % (${mib})`;
}

/**
 * Fetches a JSON body as a stream, reporting the bytes received so far against the body's uncompressed length:
 * the browser decompresses gzip transparently, so the reader counts decompressed bytes and the compressed
 * Content-Length would not match; the server sends the uncompressed length as X-Uncompressed-Length.
 */
export async function fetchText(path: string, onProgress: (received: number, total: number | null) => void) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  // Content-Length counts what was sent, which is the body only when it was sent uncompressed.
  const plainLength = res.headers.has('content-encoding') ? null : res.headers.get('content-length');
  const declared = res.headers.get('x-uncompressed-length') ?? plainLength;
  const total = declared !== null && Number.isFinite(Number(declared)) ? Number(declared) : null;
  if (res.body === null) return res.text();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  let painted = performance.now();
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
    // Chunks already buffered resolve read() at once, with no paint in between: give the browser a frame now and then.
    if (performance.now() - painted > 100) {
      await nextPaint();
      painted = performance.now();
    }
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(bytes);
}

/** The trace (or any large JSON body) with its download on screen, then parsed, which takes seconds at 100 MB. */
export async function fetchJsonShowingProgress<T>(path: string, view: LoadingView): Promise<T> {
  const text = await fetchText(path, (received, total) => view.set(progressText(received, total)));
  await view.show('parsing trace…');
  return JSON.parse(text) as T;
}
