/* A Promela model of the protocol shape statevisor's `ha-steady` check configuration explores, for SPIN.
 * It is the yardstick bench/spin.ts measures statevisor's explorer against: a comparison model, not a port.
 *
 * The shape: a primary runs NEPOCHS epochs of a guest that produces numbered packets; each epoch ends with a
 * checkpoint shipped to a backup, at most MAXOUT of them unacknowledged at once (Remus's pipelining). The
 * backup applies checkpoints whole and in order and acks cumulatively. The primary–backup link may lose
 * MAXDROPS messages and deliver MAXLATE messages late, in either direction. An ack timeout retransmits every
 * unacknowledged checkpoint. The primary's NIC holds each packet until the epoch it was produced in is
 * acknowledged, then releases it to the outside world; a full NIC buffer stalls the guest (back-pressure).
 *
 * Checked: output commit (no packet leaves the host before the backup applied a checkpoint covering it), exactly
 * once and in order at the outside world, the backup never sees a checkpoint beyond the pipelining window, a
 * bound on timeouts, and — as an invalid end state — that every packet the guest produced leaves the NIC (the
 * world always accepts, so in every end state it has received them all).
 *
 * What is abstracted away, and why: time. Delivery latency is always shorter than the ack timeout, so the
 * timeout fires only once the link is quiet (every message sent has arrived, been lost, or is being held late);
 * a late message is held until at least one timeout has fired since it was sent, i.e. it arrives past the
 * timeout, after the retransmission it provoked. Checkpoints carry only their epoch number; the guest's memory,
 * the disk, heartbeats, the witness and failover are not modelled (ha-steady's run has no crash either).
 *
 * Mutants, each of which SPIN must catch (bench/spin.ts checks that it does):
 *   -DMUTANT_EARLY_RELEASE  the NIC releases the packets of the epoch after the committed one (output commit)
 *   -DMUTANT_RING_DUP       the NIC's buffer forgets to drop a sent packet when it is full (exactly once)
 *   -DMUTANT_NO_WINDOW      the primary ships a checkpoint without a free pipelining slot (window)
 */

#ifndef NEPOCHS
#define NEPOCHS 4     /* epochs the guest runs, then it stops: what lets SPIN exhaust the model */
#endif
#ifndef PKTS
#define PKTS 2        /* packets the guest sends per epoch, unless a full NIC buffer stalls it */
#endif
#define BUFCAP 2      /* NIC buffer, in packets (ha-steady: bufferCapacity 2) */
#define MAXOUT 2      /* checkpoints in flight (ha-steady: maxOutstanding 2) */
#define MAXDROPS 1    /* messages the link may lose in the whole run (ha-steady: maxDrops 1) */
#define MAXLATE 1     /* messages the link may deliver late (ha-steady: maxLate 1) */
#define MAXTIMEOUTS (MAXDROPS + MAXLATE)  /* each timeout is provoked by a lost or a late message: more is a livelock */
#if BUFCAP != 2 || MAXOUT != 2
#error "the NIC's head shift and the backup's single staging slot are written for BUFCAP 2 and MAXOUT 2"
#endif
#define CHANCAP 4     /* every channel; a send that would find it full is an assertion failure, never a block */

/* The primary–backup link, as two legs through the Link process. Messages are epoch numbers. */
chan pToLink = [CHANCAP] of { byte };  /* checkpoint(e), primary -> link */
chan linkToB = [CHANCAP] of { byte };  /* checkpoint(e), link -> backup */
chan bToLink = [CHANCAP] of { byte };  /* ack(e), backup -> link (cumulative: every epoch <= e is applied) */
chan linkToP = [CHANCAP] of { byte };  /* ack(e), link -> primary */
/* On-host, reliable: the coordinator tells the NIC an epoch committed; the NIC puts packets on the wire. */
chan commitCh = [CHANCAP] of { byte };
chan worldCh = [NEPOCHS * PKTS] of { byte, byte };  /* packet (seq, epoch), NIC -> outside world: room for all */

/* The NIC buffer, oldest first: shared by the guest (which appends) and the NIC (which takes the head). */
byte bufSeq[BUFCAP];
byte bufEp[BUFCAP];
byte bufLen;

byte lastSeq;         /* sequence number of the last packet the guest produced */
byte backupApplied;   /* ground truth for output commit: the newest checkpoint the backup applied (and acked) */
byte timeouts;        /* ack timeouts fired so far */

/* The link's fault budgets and its one slot for a message being delivered late. */
byte drops;
byte lates;
bool lateHeld;
bool lateToPrimary;   /* direction of the held message: an ack to the primary, or a checkpoint to the backup */
byte lateMsg;
byte lateStamp;       /* timeouts when it was held: it may arrive only after a later timeout */

#define sendChecked(ch, m)  assert(nfull(ch)); ch!m

/* One message across the link: delivered, lost (within budget), or held back to arrive late (within budget). */
inline carry(m, out, toPrimary) {
  if
  :: sendChecked(out, m)
  :: drops < MAXDROPS -> drops++
  :: lates < MAXLATE && !lateHeld ->
       lates++; lateHeld = true; lateToPrimary = toPrimary; lateMsg = m; lateStamp = timeouts
  fi
}

proctype Link() {
  byte m;
end:
  do
  :: atomic { pToLink?m -> carry(m, linkToB, false) }
  :: atomic { bToLink?m -> carry(m, linkToP, true) }
  :: atomic {
       lateHeld && lateStamp < timeouts ->
         if
         :: lateToPrimary -> sendChecked(linkToP, lateMsg)
         :: else -> sendChecked(linkToB, lateMsg)
         fi;
         lateHeld = false; lateMsg = 0; lateToPrimary = false; lateStamp = 0
     }
  od
}

/* The guest, its checkpoint coordinator and its ack timer: one host, one process. */
proctype Primary() {
  byte epoch = 1;     /* the epoch executing now; epochs 1 .. epoch-1 have been shipped */
  byte produced;      /* packets the guest produced in this epoch */
  byte acked;         /* newest epoch the backup acknowledged (cumulative) */
  xs commitCh;
  byte n;
  byte i;
  do
  /* The guest sends a packet: it goes into the NIC buffer tagged with the epoch; a full buffer stalls it. */
  :: epoch <= NEPOCHS && produced < PKTS && bufLen < BUFCAP ->
       d_step { lastSeq++; bufSeq[bufLen] = lastSeq; bufEp[bufLen] = epoch; bufLen++; produced++ }
  /* The epoch timer: stun, capture and ship checkpoint(epoch), if a pipelining slot is free. The guest has
   * sent its PKTS packets by then, unless a full buffer stalled it (ha-steady: 2 packets per 1 ms epoch). */
#ifdef MUTANT_NO_WINDOW
  :: epoch <= NEPOCHS && (produced == PKTS || bufLen == BUFCAP) ->
#else
  :: epoch <= NEPOCHS && (produced == PKTS || bufLen == BUFCAP) && epoch - 1 - acked < MAXOUT ->
#endif
       atomic { sendChecked(pToLink, epoch); epoch++; produced = 0 }
  /* A cumulative ack: commit every epoch it covers (stale and repeated acks commit nothing). */
  :: atomic {
       linkToP?n ->
         assert(n < epoch);   /* the backup cannot ack a checkpoint never shipped */
         if
         :: n > acked -> acked = n; sendChecked(commitCh, n)
         :: else -> skip
         fi
     }
  /* The ack timeout: the link is quiet and something is unacknowledged; resend all of it, oldest first. */
  :: atomic {
       epoch - 1 > acked && empty(pToLink) && empty(linkToB) && empty(bToLink) && empty(linkToP) ->
         timeouts++;
         assert(timeouts <= MAXTIMEOUTS);
         for (i : acked + 1 .. epoch - 1) { sendChecked(pToLink, i) }
     }
  :: epoch > NEPOCHS && acked == NEPOCHS -> break
  od;
  /* Everything is committed: if some packet is never released, this wait is an invalid end state. */
  bufLen == 0;
end_drain:
  do
  :: linkToP?n   /* late or repeated acks still on their way */
  od
}

/* The backup: applies checkpoints whole and in order, stages one that arrives a slot early, acks cumulatively. */
proctype Backup() {
  byte e;
  byte staged;        /* an epoch that arrived one ahead of the next to apply, or 0 */
end:
  do
  :: atomic {
       linkToB?e ->
         assert(e <= backupApplied + MAXOUT);   /* the pipelining window */
         if
         :: e == backupApplied + 1 ->
              backupApplied = e;
              if
              :: staged == backupApplied + 1 -> backupApplied = staged
              :: else -> skip
              fi;
              staged = 0;
              sendChecked(bToLink, backupApplied)
         :: e == backupApplied + 2 -> staged = e   /* waits for its predecessor; no ack yet */
         :: e <= backupApplied -> sendChecked(bToLink, backupApplied)   /* a retransmit: our ack was lost */
         fi   /* no other case: the window assertion above rules out e > backupApplied + 2 */
     }
  od
}

/* The primary's NIC: releases the oldest held packet once its epoch is committed. */
proctype Nic() {
  xr commitCh;
  xs worldCh;
  byte committed;
  byte n;
end:
  do
  :: atomic { commitCh?n -> assert(n > committed); committed = n }
#ifdef MUTANT_EARLY_RELEASE
  :: atomic { bufLen > 0 && bufEp[0] <= committed + 1 ->
#else
  :: atomic { bufLen > 0 && bufEp[0] <= committed ->
#endif
       assert(bufEp[0] <= backupApplied);   /* output commit, judged against the backup itself */
       assert(nfull(worldCh)); worldCh!bufSeq[0], bufEp[0];
#ifdef MUTANT_RING_DUP
       if
       :: bufLen == BUFCAP -> skip
       :: else ->
#endif
       d_step {
         bufSeq[0] = bufSeq[1]; bufEp[0] = bufEp[1];   /* BUFCAP is 2: shifting the head is one move */
         bufLen--; bufSeq[bufLen] = 0; bufEp[bufLen] = 0
       }
#ifdef MUTANT_RING_DUP
       fi
#endif
     }
  od
}

/* The outside world: must see every packet exactly once, in the order the guest produced them. */
proctype World() {
  xr worldCh;
  byte s, e;
  byte delivered;     /* packets received so far, in order */
end:
  do
  :: worldCh?s, e -> assert(s == delivered + 1); delivered++
  od
}

init {
  atomic { run Link(); run Primary(); run Backup(); run Nic(); run World() }
}
