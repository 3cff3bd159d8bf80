// Exactly-once output (SPEC.md M1): what the outside world delivers to its application is a prefix of the
// fault-free stream of the same seed — nothing lost, reordered or delivered twice, across failover too.

import { DIGEST_SEED, referencePayloads, streamStep } from '../../actors/guest.js';
import type { WorkloadParams } from '../../machines/haEvents.js';
import { streamsOf } from './haView.js';
import type { Spec } from './spec.js';

/**
 * The receiver drops wire duplicates by sequence number (allowed, and counted); a packet that skips
 * ahead (a gap) or a delivered stream whose digest differs from the reference prefix is a violation.
 * The reference is the guest's own deterministic output, computed once per VM and extended on demand.
 */
export function exactlyOnce(workload: WorkloadParams, vmCount: number): Spec {
  const prefixDigests: number[][] = Array.from({ length: vmCount }, () => [DIGEST_SEED]);
  const referenceDigest = (vm: number, n: number): number => {
    const digests = prefixDigests[vm] as number[];
    if (digests.length <= n) {
      const payloads = referencePayloads(workload, vm, Math.max(n, 2 * digests.length));
      for (let i = digests.length - 1; i < payloads.length; i++) {
        digests.push(streamStep(digests[i] as number, payloads[i] as number));
      }
    }
    return digests[n] as number;
  };
  return {
    name: 'exactly-once',
    specId: 'M1',
    description:
      "The receiver's delivered stream of every VM is a prefix of the fault-free stream: no loss, no reordering, no duplicate delivery.",
    kind: 'always',
    check(kernel, state) {
      const streams = streamsOf(kernel, state);
      for (let vm = 0; vm < vmCount; vm++) {
        const s = streams[String(vm)];
        if (s === undefined) continue;
        if (s.gaps > 0) {
          return `world/receiver: VM ${vm}'s stream skipped ahead (${s.gaps} packet(s) arrived past seq ${s.next}): output lost or reordered`;
        }
        if (s.digest !== referenceDigest(vm, s.delivered)) {
          return `world/receiver: VM ${vm}'s first ${s.delivered} delivered packets differ from the fault-free stream`;
        }
      }
      return null;
    },
  };
}
