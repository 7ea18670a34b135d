import { LeaseState } from '../../smb2/commands/oplock-break.js';
import { Status } from '../../smb2/status.js';
import { leaseBreakMessage } from './notifications.js';
import { leaseAckRequired } from './rules.js';
import { PendingBreak, type Lease } from './types.js';

const R = LeaseState.READ;

/** How a lease reaches its client: a notification on the connection of one of its opens. */
export type LeaseNotifier = (lease: Lease, message: Buffer) => void;

/**
 * The break state machine of one lease, [MS-SMB2] 3.3.4.7 and 3.3.5.22.2, with the stepwise
 * breaks Windows makes (smbtorture smb2.lease.breaking3): a break asks for the state the
 * conflicting operations need; an operation that needs less while it is in progress lowers
 * what is required without a new notification; the acknowledgment then gets the next one.
 */
export class LeaseBreaker {
  constructor(
    private readonly timeoutMs: () => number,
    private readonly notify: LeaseNotifier,
  ) {}

  /** Ask the lease down to `to` (never raises it). A lease holding only R falls at once, unacknowledged. */
  request(lease: Lease, to: number): void {
    to &= lease.state;
    if (lease.breaking) {
      lease.breakToRequired &= to;
      return;
    }
    if (lease.state === to) return;
    lease.epoch = (lease.epoch + 1) & 0xffff;
    if (!leaseAckRequired(lease.state)) {
      this.notify(lease, leaseBreakMessage(lease, to, false));
      lease.state = to;
      return;
    }
    lease.breakTo = to;
    lease.breakToRequired = to;
    this.notify(lease, leaseBreakMessage(lease, to, true));
    this.startWaiting(lease);
  }

  private startWaiting(lease: Lease): void {
    const pending = new PendingBreak(this.timeoutMs(), () => {
      if (lease.breaking === pending) this.acknowledge(lease, LeaseState.NONE); // no ack in time: as if acked to none
    });
    lease.breaking = pending;
  }

  /** The client acknowledged (or the break timed out): 3.3.5.22.2, then the next step if more is required. */
  acknowledge(lease: Lease, state: number): number {
    const pending = lease.breaking;
    if (!pending) return Status.UNSUCCESSFUL;
    if ((state & lease.breakTo) !== state) return Status.REQUEST_NOT_ACCEPTED;
    lease.state = state;
    lease.breaking = undefined;
    if (state & ~lease.breakToRequired) {
      const next = lease.breakToRequired | (leaseAckRequired(state) ? R : 0);
      const ack = leaseAckRequired(state);
      this.notify(lease, leaseBreakMessage(lease, next, ack));
      if (ack) {
        lease.breakTo = next;
        this.startWaiting(lease);
      } else {
        lease.state = LeaseState.NONE;
      }
    }
    pending.settle();
    return Status.SUCCESS;
  }

  /** The lease's last open closed: whoever waits for its break goes on. */
  release(lease: Lease): void {
    const pending = lease.breaking;
    lease.breaking = undefined;
    pending?.settle();
  }
}
