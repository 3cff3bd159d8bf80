// Every shipped machine by id: what `statevisor export` and test generation can name.
// Machines stay in machines/, one per file; this index is the only place that lists them all.

import type { AnyEventObject, AnyStateMachine } from 'xstate';
import { appCheckpointStoreMachine, appCheckpointStoreSampleEvents } from '../machines/appCheckpointStoreMachine.js';
import { appClientMachine, appClientSampleEvents } from '../machines/appClientMachine.js';
import { appMachine, appSampleEvents } from '../machines/appMachine.js';
import { appVmMachine, appVmSampleEvents } from '../machines/appVmMachine.js';
import { balloonBackupMachine, balloonBackupSampleEvents } from '../machines/balloonBackupMachine.js';
import { balloonDriverMachine, balloonDriverSampleEvents } from '../machines/balloonDriverMachine.js';
import { balloonGuestMachine, balloonGuestSampleEvents } from '../machines/balloonGuestMachine.js';
import { balloonManagerMachine, balloonManagerSampleEvents } from '../machines/balloonManagerMachine.js';
import { branchTraceMachine, branchTraceSampleEvents } from '../machines/branchTraceMachine.js';
import { busBridgeMachine, busBridgeSampleEvents } from '../machines/busBridgeMachine.js';
import { cacheHierarchyMachine, cacheHierarchySampleEvents } from '../machines/cacheHierarchyMachine.js';
import { cacheMachine, cacheSampleEvents } from '../machines/cacheMachine.js';
import { checkpointCoordinatorMachine } from '../machines/checkpointCoordinatorMachine.js';
import { checkpointCoordinatorSampleEvents } from '../machines/checkpointCoordinatorParts.js';
import { consoleMachine, consoleSampleEvents } from '../machines/consoleMachine.js';
import { cryptGuestMachine, cryptGuestSampleEvents } from '../machines/cryptGuestMachine.js';
import { diskMachine, diskSampleEvents } from '../machines/diskMachine.js';
import { diskWriterMachine, diskWriterSampleEvents } from '../machines/diskWriterMachine.js';
import { dmaDeviceMachine, dmaDeviceSampleEvents } from '../machines/dmaDeviceMachine.js';
import { faultHandlerMachine, faultHandlerSampleEvents } from '../machines/faultHandlerMachine.js';
import { faultMmuMachine, faultMmuSampleEvents } from '../machines/faultMmuMachine.js';
import { fileGuestMachine, fileGuestSampleEvents } from '../machines/fileGuestMachine.js';
import { fileProxyMachine, fileProxySampleEvents } from '../machines/fileProxyMachine.js';
import { fileServerMachine, fileServerSampleEvents } from '../machines/fileServerMachine.js';
import { grantPageMachine, grantPageSampleEvents } from '../machines/grantPageMachine.js';
import { guestSchedulerMachine, guestSchedulerSampleEvents } from '../machines/guestSchedulerMachine.js';
import { hvPagerMachine, hvPagerSampleEvents } from '../machines/hvPagerMachine.js';
import { hypervisorMachine, hypervisorSampleEvents } from '../machines/hypervisorMachine.js';
import { ioDeviceMachine, ioDeviceSampleEvents } from '../machines/ioDeviceMachine.js';
import { ioGuestMachine, ioGuestSampleEvents } from '../machines/ioGuestMachine.js';
import { keyValueStoreMachine, keyValueStoreSampleEvents } from '../machines/keyValueStoreMachine.js';
import { lockstepClientMachine, lockstepClientSampleEvents } from '../machines/lockstepClientMachine.js';
import { lockstepPrimaryMachine, lockstepPrimarySampleEvents } from '../machines/lockstepPrimaryMachine.js';
import { lockstepSecondaryMachine, lockstepSecondarySampleEvents } from '../machines/lockstepSecondaryMachine.js';
import { memCheckpointerMachine, memCheckpointerSampleEvents } from '../machines/memCheckpointerMachine.js';
import { memCollectorMachine, memCollectorSampleEvents } from '../machines/memCollectorMachine.js';
import { memCryptMachine, memCryptSampleEvents } from '../machines/memCryptMachine.js';
import { memGuestMachine, memGuestSampleEvents } from '../machines/memGuestMachine.js';
import { mmuMachine, mmuSampleEvents } from '../machines/mmuMachine.js';
import { nestedMmuMachine, nestedMmuSampleEvents } from '../machines/nestedMmuMachine.js';
import { pagePoolMachine, pagePoolSampleEvents } from '../machines/pagePoolMachine.js';
import { pingerMachine, pingerSampleEvents } from '../machines/pingerMachine.js';
import { plugBackupMachine, plugBackupSampleEvents } from '../machines/plugBackupMachine.js';
import { plugBufferMachine, plugBufferSampleEvents } from '../machines/plugBufferMachine.js';
import { plugClientMachine, plugClientSampleEvents } from '../machines/plugClientMachine.js';
import { plugCoordinatorMachine, plugCoordinatorSampleEvents } from '../machines/plugCoordinatorMachine.js';
import { plugGuestMachine, plugGuestSampleEvents } from '../machines/plugGuestMachine.js';
import { pongerMachine, pongerSampleEvents } from '../machines/pongerMachine.js';
import { receiverMachine, receiverSampleEvents } from '../machines/receiverMachine.js';
import { recoveryPolicyMachine, recoveryPolicySampleEvents } from '../machines/recoveryPolicyMachine.js';
import { relayMachine, relaySampleEvents } from '../machines/relayMachine.js';
import { replayAnalyserMachine, replayAnalyserSampleEvents } from '../machines/replayAnalyserMachine.js';
import { replayerMachine, replayerSampleEvents } from '../machines/replayerMachine.js';
import { replayInputSourceMachine, replayInputSourceSampleEvents } from '../machines/replayInputSourceMachine.js';
import { replayLogStoreMachine, replayLogStoreSampleEvents } from '../machines/replayLogStoreMachine.js';
import { replayRecorderMachine, replayRecorderSampleEvents } from '../machines/replayRecorderMachine.js';
import { replayStateSaveMachine, replayStateSaveSampleEvents } from '../machines/replayStateSaveMachine.js';
import { replicaMachine, replicaSampleEvents } from '../machines/replicaMachine.js';
import { rxClientMachine, rxClientSampleEvents } from '../machines/rxClientMachine.js';
import { rxPathMachine, rxPathSampleEvents } from '../machines/rxPathMachine.js';
import { rxQueueMachine, rxQueueSampleEvents } from '../machines/rxQueueMachine.js';
import { rxSourceMachine, rxSourceSampleEvents } from '../machines/rxSourceMachine.js';
import { snapshotCopierMachine, snapshotCopierSampleEvents } from '../machines/snapshotCopierMachine.js';
import { snapshotMachine, snapshotSampleEvents } from '../machines/snapshotMachine.js';
import { snapshotStoreMachine, snapshotStoreSampleEvents } from '../machines/snapshotStoreMachine.js';
import { sriovNicMachine, sriovNicSampleEvents } from '../machines/sriovNicMachine.js';
import { swapDeviceMachine, swapDeviceSampleEvents } from '../machines/swapDeviceMachine.js';
import { tlbMachine, tlbSampleEvents } from '../machines/tlbMachine.js';
import { traceCpuMachine, traceCpuSampleEvents } from '../machines/traceCpuMachine.js';
import { translatorMachine, translatorSampleEvents } from '../machines/translatorMachine.js';
import { vcpuMachine, vcpuSampleEvents } from '../machines/vcpuMachine.js';
import { vmMemoryMachine, vmMemorySampleEvents } from '../machines/vmMemoryMachine.js';
import { volumeMachine, volumeSampleEvents } from '../machines/volumeMachine.js';
import { witnessMachine, witnessSampleEvents } from '../machines/witnessMachine.js';
import { InputError } from './kernel/errors.js';

export const machines: readonly AnyStateMachine[] = [
  checkpointCoordinatorMachine,
  sriovNicMachine,
  replicaMachine,
  hypervisorMachine,
  vcpuMachine,
  mmuMachine,
  diskMachine,
  witnessMachine,
  receiverMachine,
  appMachine,
  pingerMachine,
  pongerMachine,
  relayMachine,
  memGuestMachine,
  tlbMachine,
  nestedMmuMachine,
  cacheMachine,
  memCheckpointerMachine,
  memCollectorMachine,
  traceCpuMachine,
  cacheHierarchyMachine,
  volumeMachine,
  snapshotMachine,
  snapshotCopierMachine,
  snapshotStoreMachine,
  diskWriterMachine,
  balloonManagerMachine,
  balloonDriverMachine,
  vmMemoryMachine,
  pagePoolMachine,
  balloonGuestMachine,
  balloonBackupMachine,
  guestSchedulerMachine,
  hvPagerMachine,
  swapDeviceMachine,
  keyValueStoreMachine,
  fileProxyMachine,
  fileServerMachine,
  fileGuestMachine,
  grantPageMachine,
  rxSourceMachine,
  rxPathMachine,
  rxQueueMachine,
  rxClientMachine,
  memCryptMachine,
  cryptGuestMachine,
  dmaDeviceMachine,
  busBridgeMachine,
  faultMmuMachine,
  faultHandlerMachine,
  ioDeviceMachine,
  ioGuestMachine,
  lockstepPrimaryMachine,
  lockstepSecondaryMachine,
  lockstepClientMachine,
  appVmMachine,
  appCheckpointStoreMachine,
  recoveryPolicyMachine,
  appClientMachine,
  replayInputSourceMachine,
  replayRecorderMachine,
  replayLogStoreMachine,
  replayerMachine,
  replayStateSaveMachine,
  replayAnalyserMachine,
  translatorMachine,
  consoleMachine,
  branchTraceMachine,
  plugGuestMachine,
  plugBufferMachine,
  plugCoordinatorMachine,
  plugBackupMachine,
  plugClientMachine,
];

export function findMachine(id: string, field = 'machine'): AnyStateMachine {
  const m = machines.find((x) => x.id === id);
  if (m === undefined)
    throw new InputError(`${field}: unknown machine '${id}' (known: ${machines.map((x) => x.id).join(', ')})`);
  return m;
}

/** Each machine's sample events (exported next to its types): valid payloads for test generation. */
export const sampleEvents: Readonly<Record<string, readonly AnyEventObject[]>> = {
  checkpointCoordinator: checkpointCoordinatorSampleEvents,
  sriovNic: sriovNicSampleEvents,
  replica: replicaSampleEvents,
  hypervisor: hypervisorSampleEvents,
  vcpu: vcpuSampleEvents,
  mmu: mmuSampleEvents,
  disk: diskSampleEvents,
  witness: witnessSampleEvents,
  receiver: receiverSampleEvents,
  app: appSampleEvents,
  pinger: pingerSampleEvents,
  ponger: pongerSampleEvents,
  relay: relaySampleEvents,
  memGuest: memGuestSampleEvents,
  tlb: tlbSampleEvents,
  nestedMmu: nestedMmuSampleEvents,
  cache: cacheSampleEvents,
  checkpointer: memCheckpointerSampleEvents,
  collector: memCollectorSampleEvents,
  traceCpu: traceCpuSampleEvents,
  cacheHierarchy: cacheHierarchySampleEvents,
  volume: volumeSampleEvents,
  snapshot: snapshotSampleEvents,
  snapshotCopier: snapshotCopierSampleEvents,
  snapshotStore: snapshotStoreSampleEvents,
  diskWriter: diskWriterSampleEvents,
  balloonManager: balloonManagerSampleEvents,
  balloonDriver: balloonDriverSampleEvents,
  vmMemory: vmMemorySampleEvents,
  pagePool: pagePoolSampleEvents,
  balloonGuest: balloonGuestSampleEvents,
  balloonBackup: balloonBackupSampleEvents,
  guestScheduler: guestSchedulerSampleEvents,
  hvPager: hvPagerSampleEvents,
  swapDevice: swapDeviceSampleEvents,
  keyValueStore: keyValueStoreSampleEvents,
  fileProxy: fileProxySampleEvents,
  fileServer: fileServerSampleEvents,
  fileGuest: fileGuestSampleEvents,
  grantPage: grantPageSampleEvents,
  rxSource: rxSourceSampleEvents,
  rxPath: rxPathSampleEvents,
  rxQueue: rxQueueSampleEvents,
  rxClient: rxClientSampleEvents,
  memCrypt: memCryptSampleEvents,
  cryptGuest: cryptGuestSampleEvents,
  dmaDevice: dmaDeviceSampleEvents,
  busBridge: busBridgeSampleEvents,
  faultMmu: faultMmuSampleEvents,
  faultHandler: faultHandlerSampleEvents,
  ioDevice: ioDeviceSampleEvents,
  ioGuest: ioGuestSampleEvents,
  lockstepPrimary: lockstepPrimarySampleEvents,
  lockstepSecondary: lockstepSecondarySampleEvents,
  lockstepClient: lockstepClientSampleEvents,
  appVm: appVmSampleEvents,
  appCheckpointStore: appCheckpointStoreSampleEvents,
  recoveryPolicy: recoveryPolicySampleEvents,
  appClient: appClientSampleEvents,
  replayInputSource: replayInputSourceSampleEvents,
  replayRecorder: replayRecorderSampleEvents,
  replayLogStore: replayLogStoreSampleEvents,
  replayer: replayerSampleEvents,
  replayStateSave: replayStateSaveSampleEvents,
  replayAnalyser: replayAnalyserSampleEvents,
  translator: translatorSampleEvents,
  console: consoleSampleEvents,
  branchTrace: branchTraceSampleEvents,
  plugGuest: plugGuestSampleEvents,
  plugBuffer: plugBufferSampleEvents,
  plugCoordinator: plugCoordinatorSampleEvents,
  plugBackup: plugBackupSampleEvents,
  plugClient: plugClientSampleEvents,
};
