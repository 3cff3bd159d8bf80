// The shared page's HTML without a browser: embedded JSON that no payload can break out of, a bundle that would
// break its element refused, and the page's shape (one file, a CSP that forbids every request, the data inline).

import { describe, expect, it } from 'vitest';
import { type SharedData, scriptCode, scriptJson, sharedHtml } from '../../src/inspector/ui/share.js';

const data = (note: string): SharedData => ({
  trace: {
    source: 't.jsonl',
    error: null,
    header: { type: '@statevisor.trace', scenario: 's<b>' },
    records: [{ type: '@xstate.event', step: 1, event: { type: 'x', note } }],
    end: null,
  },
  charts: {},
  step: 1,
  actor: 'h/a',
});

describe('shared page', () => {
  it('embeds JSON that cannot close its script element, and reads back the same value', () => {
    const evil = '</script><script>alert(1)</script><!--<script>\u2028';
    const text = scriptJson(data(evil));
    expect(text).not.toMatch(/</);
    expect(text).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(data(evil));
    // In a JavaScript literal too (the escapes are JSON's and JavaScript's alike).
    expect(new Function(`return ${text}`)()).toEqual(data(evil));
  });

  it('refuses a bundle or styles that would end their element early', () => {
    expect(scriptCode('const a = "<\\/script>";')).toBe('const a = "<\\/script>";');
    expect(() => scriptCode('const a = "</SCRIPT>";')).toThrow(/contains '<\/SCRIPT'/);
    expect(() => scriptCode('x = 1 <!-- 2')).toThrow(/<!--/);
    expect(() => sharedHtml('', 'a{} </style><script>', data(''))).toThrow(/<\/style/);
  });

  it('is one document: styles, data and code inline, and a CSP that allows no request', () => {
    const html = sharedHtml('console.log(1)', 'body{margin:0}', data('</script>'));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html.match(/<\/script/g)).toHaveLength(2);
    expect(html).toContain('<title>statevisor · sb</title>');
  });
});
