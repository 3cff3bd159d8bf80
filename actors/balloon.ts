// Assembly of the balloon scenarios (M10): a management host, and a VM host with its free-page pool and, per VM, the
// guest's balloon driver and workload and the hypervisor's memory manager. Specs read the plan (initial contents).

import { balloonBackupMachine } from '../machines/balloonBackupMachine.js';
import { balloonDriverMachine } from '../machines/balloonDriverMachine.js';
import { balloonGuestMachine } from '../machines/balloonGuestMachine.js';
import { balloonManagerMachine } from '../machines/balloonManagerMachine.js';
import { pagePoolMachine } from '../machines/pagePoolMachine.js';
import { vmMemoryMachine } from '../machines/vmMemoryMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

export const BALLOON_HOST = 'host0';
export const MGMT_HOST = 'mgmt';
export const BACKUP_HOST = 'backup';

export interface BalloonVmPlan {
  readonly driver: string;
  readonly memory: string;
  readonly guest: string;
  /** The backup's copy of the VM (registered only when the VM is checkpointed). */
  readonly backup: string;
}

/** What every VM's memory looks like at boot: the specs rebuild a page's initial bytes from this. */
export interface BalloonGeometry {
  readonly supers: number;
  readonly pagesPerSuper: number;
  readonly pageBytes: number;
  readonly seed: number;
  readonly zeroPercent: number;
  readonly clusterPercent: number;
  readonly unbackedSupers: number;
}

export interface BalloonPlan {
  readonly host: string;
  readonly mgmtHost: string;
  readonly manager: string;
  readonly pool: string;
  /** Frames the pool holds at boot, numbered after every VM's backed pages. */
  readonly poolFrames: number;
  readonly vms: readonly BalloonVmPlan[];
  readonly geometry: BalloonGeometry;
}

export interface BalloonConfig {
  readonly vms: number;
  readonly geometry: BalloonGeometry;
  readonly superPolicy: number;
  readonly targetPages: number;
  readonly poolFrames: number;
  readonly poolQueueMax: number;
  readonly poolWaitUs: number;
  readonly scanUs: number;
  readonly reclaimDelayUs: number;
  readonly faultUs: number;
  readonly zeroFillUs: number;
  readonly ops: number;
  readonly opGapUs: number;
  readonly readPercent: number;
  readonly hotPercent: number;
  readonly zeroWritePercent: number;
  readonly inflateAtUs: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
  /** Checkpoints of every VM to the backup host (0: none), one every `checkpointEveryUs`. */
  readonly checkpoints: number;
  readonly checkpointEveryUs: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function balloonPlan(vms: number, geometry: BalloonGeometry, poolFrames: number): BalloonPlan {
  return {
    host: BALLOON_HOST,
    mgmtHost: MGMT_HOST,
    manager: `${MGMT_HOST}/manager`,
    pool: `${BALLOON_HOST}/pool`,
    poolFrames,
    vms: Array.from({ length: vms }, (_, i) => ({
      driver: `${BALLOON_HOST}/vm${i}/balloon`,
      memory: `${BALLOON_HOST}/vm${i}/memory`,
      guest: `${BALLOON_HOST}/vm${i}/guest`,
      backup: `${BACKUP_HOST}/vm${i}/image`,
    })),
    geometry,
  };
}

export function pagesPerVm(g: BalloonGeometry): number {
  return g.supers * g.pagesPerSuper;
}

function vmActors(c: BalloonConfig, plan: BalloonPlan, vm: number): Record<string, ActorDefinition> {
  const g = c.geometry;
  const v = plan.vms[vm] as BalloonVmPlan;
  const pages = pagesPerVm(g);
  return {
    [v.driver]: {
      machine: balloonDriverMachine,
      input: {
        ...{ vm, manager: plan.manager, memory: v.memory, pages },
        ...{ retransmitUs: c.retransmitUs, maxRetransmits: c.maxRetransmits },
      },
    },
    [v.memory]: {
      machine: vmMemoryMachine,
      input: {
        ...{ vm, self: v.memory, driver: v.driver, guest: v.guest, pool: plan.pool, ...g, firstFrame: vm * pages },
        ...{ superPolicy: c.superPolicy, scanUs: c.scanUs, reclaimDelayUs: c.reclaimDelayUs },
        ...{ faultUs: c.faultUs, zeroFillUs: c.zeroFillUs },
        ...{ backup: c.checkpoints > 0 ? v.backup : '', checkpoints: c.checkpoints },
        checkpointEveryUs: c.checkpointEveryUs,
      },
    },
    [v.guest]: {
      machine: balloonGuestMachine,
      input: {
        ...{ memory: v.memory, ops: c.ops, opGapUs: c.opGapUs, startUs: 1 + vm },
        ...{ seed: g.seed, vm, pages, pageBytes: g.pageBytes },
        ...{ readPercent: c.readPercent, hotPercent: c.hotPercent, zeroWritePercent: c.zeroWritePercent },
      },
    },
  };
}

export function buildBalloonSystem(c: BalloonConfig): { kernel: Kernel; plan: BalloonPlan } {
  const plan = balloonPlan(c.vms, c.geometry, c.poolFrames);
  const pages = pagesPerVm(c.geometry);
  // The pool's own frames sit above every VM's backed pages.
  const free = Array.from({ length: c.poolFrames }, (_, i) => c.vms * pages + i);
  const actors: Record<string, ActorDefinition> = {
    [plan.manager]: {
      machine: balloonManagerMachine,
      input: {
        drivers: plan.vms.map((v) => v.driver),
        ...{ targetPages: c.targetPages, inflateAtUs: c.inflateAtUs },
        ...{ retransmitUs: c.retransmitUs, maxRetransmits: c.maxRetransmits },
      },
    },
    [plan.pool]: { machine: pagePoolMachine, input: { free, queueMax: c.poolQueueMax, waitUs: c.poolWaitUs } },
  };
  for (let vm = 0; vm < c.vms; vm++) Object.assign(actors, vmActors(c, plan, vm));
  if (c.checkpoints > 0) {
    for (const v of plan.vms) {
      actors[v.backup] = { machine: balloonBackupMachine, input: { pages, pageBytes: c.geometry.pageBytes } };
    }
  }
  const kernel = defineSystem({
    actors,
    localLatencyUs: 1,
    links: {
      [`${MGMT_HOST}<->${BALLOON_HOST}`]: c.link,
      ...(c.checkpoints > 0 ? { [`${BALLOON_HOST}<->${BACKUP_HOST}`]: c.link } : {}),
    },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
  });
  return { kernel, plan };
}
