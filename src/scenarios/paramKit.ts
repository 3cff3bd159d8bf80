// What the shipped scenarios' parameters share: typed range helpers, and one lossy link between two hosts with its
// latency range, loss, late messages and fault budget, declared and read the same way in every scenario.

import { InputError } from '../kernel/errors.js';
import type { LinkConfig } from '../kernel/types.js';
import type { ParamSpec } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** The largest virtual time a parameter may name (µs); -1 is allowed where a window can be "none". */
export const US = { min: -1, max: 1_000_000_000 };

export const int = (def: number, min: number, max: number, description: string): ParamSpec => ({
  type: 'int',
  default: def,
  min,
  max,
  description,
});

export const num = (def: number, min: number, max: number, description: string): ParamSpec => ({
  type: 'number',
  default: def,
  min,
  max,
  description,
});

/** A link's defaults: `what` names its two ends in the descriptions ("primary–backup"). */
export interface LinkDefaults {
  readonly what: string;
  readonly minUs: number;
  readonly maxUs: number;
  readonly dropRate: number;
  readonly delayUs: number;
}

export type LinkParamName =
  | 'linkMinUs'
  | 'linkMaxUs'
  | 'linkStepUs'
  | 'dropRate'
  | 'maxDrops'
  | 'delayRate'
  | 'delayUs'
  | 'maxDelays';

/** The link's parameters: latency range and step, loss and late messages with their budgets. */
export function linkParams(d: LinkDefaults): Record<LinkParamName, ParamSpec> {
  return {
    linkMinUs: int(d.minUs, 0, US.max, `${d.what} latency, lower bound (µs)`),
    linkMaxUs: int(d.maxUs, 0, US.max, `${d.what} latency, upper bound (µs)`),
    linkStepUs: int(1, 1, US.max, 'granularity of latency draws (µs)'),
    dropRate: num(d.dropRate, 0, 1, `probability a ${d.what} message is lost`),
    maxDrops: int(1_000_000, 0, 1_000_000_000, 'losses per run (the fault budget)'),
    delayRate: num(0, 0, 1, `probability a ${d.what} message is late`),
    delayUs: int(d.delayUs, 0, US.max, 'extra latency of a late message (µs)'),
    maxDelays: int(1_000_000, 0, 1_000_000_000, 'late messages per run'),
  };
}

/** A link that carries bulk data (checkpoints, block copies) also has a bandwidth. */
export function bandwidthParam(bytesPerUs: number): { bytesPerUs: ParamSpec } {
  return { bytesPerUs: int(bytesPerUs, 0, US.max, 'link bandwidth in bytes per µs (0: unlimited); 1 250 = 10 Gbit/s') };
}

/** A latency range whose upper bound is below its lower one is one line naming `linkMaxUs`. */
export function validateLink(p: Values): void {
  if ((p.linkMaxUs as number) < (p.linkMinUs as number)) {
    throw new InputError(`linkMaxUs: ${p.linkMaxUs} is below linkMinUs (${p.linkMinUs})`);
  }
}

/** The kernel's link configuration from `linkParams` values: unordered, no duplicates, bandwidth if declared. */
export function linkOf(p: Values): LinkConfig {
  return {
    latencyUs: { min: p.linkMinUs as number, max: p.linkMaxUs as number },
    latencyStepUs: p.linkStepUs as number,
    dropRate: p.dropRate as number,
    duplicateRate: 0,
    delayRate: p.delayRate as number,
    delayUs: p.delayUs as number,
    ordered: false,
    ...(p.bytesPerUs !== undefined ? { bytesPerUs: p.bytesPerUs as number } : {}),
  };
}
