// The lease adapter made flaky the way real adapters are: `send` returns once the line is written, without waiting
// for the answers, so they turn up in a later `observe`. statevisor must blame the adapter for it, not the code.

import { defineSut } from 'statevisor';
import leaseHandover from '../../examples/lease-handover.js';
import { LEASE_ACTORS, LeasePair, leaseVariants } from './adapter.js';

export default defineSut({
  name: 'lease-pair-late',
  scenario: leaseHandover,
  actors: LEASE_ACTORS,
  variants: leaseVariants,
  start: ({ variant }) => LeasePair.start(variant, false),
});
