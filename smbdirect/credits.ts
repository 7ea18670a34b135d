// Credit accounting of one SMB Direct connection, [MS-SMBD] 3.1.1.1 and 3.1.5.1/3.1.5.8/3.1.5.9,
// as a pure state machine (no device): the I/O layer reports what it posted, sent and
// received, and asks what it may send and what to grant.
import { DataFlag } from './constants.js';

export interface SendTicket {
  /** CreditsGranted of the message. */
  grant: number;
  /** Flags of the message (RESPONSE_REQUESTED when our credits run low). */
  flags: number;
}

export class Credits {
  /** Send credits the peer granted us and we have not spent. */
  sendCredits = 0;
  /** Receive credits we granted and the peer has not spent. */
  peerCredits = 0;
  /** Receives posted (each holds one buffer). */
  posted = 0;
  /** The peer's last CreditsRequested. */
  peerTarget = 1;
  /** A RESPONSE_REQUESTED went out and no grant came back yet. */
  private asked = false;

  /**
   * @param receiveCreditMax receives we keep posted; one more than we ever grant stays as a
   *   sentinel, so a peer that overruns its credits lands in a buffer and is caught.
   */
  constructor(readonly receiveCreditMax: number, private readonly lowWater = Math.max(1, receiveCreditMax >> 3)) {}

  /** Receives to post now to get back to the target (sentinel included). */
  toPost(): number {
    return Math.max(0, this.receiveCreditMax + 1 - this.posted);
  }

  addPosted(n: number): void {
    this.posted += n;
  }

  /** Credits we can grant now: posted receives beyond the sentinel and the peer's credits, up to its request. */
  grantable(): number {
    const room = this.posted - 1 - this.peerCredits;
    const wanted = this.peerTarget - this.peerCredits;
    return Math.max(0, Math.min(room, wanted, 0xffff));
  }

  /** Credits granted in the negotiate response (the request consumed no credit of ours). */
  grantInitial(peerRequested: number): number {
    this.peerTarget = peerRequested;
    const grant = this.grantable();
    this.peerCredits += grant;
    return grant;
  }

  /** Credits the peer gave in its negotiate response or a data message. */
  granted(credits: number, peerRequested: number): void {
    this.sendCredits += credits;
    this.peerTarget = peerRequested;
    if (credits > 0) this.asked = false;
  }

  /**
   * A message arrived in one of our receives (which is no longer posted). Returns an error
   * when the peer sent without a credit ([MS-SMBD] 3.1.5.8: a credit overrun).
   */
  received(): string | null {
    this.posted--;
    if (this.peerCredits === 0) return 'peer sent a message without a receive credit';
    this.peerCredits--;
    return null;
  }

  /** Whether a message granting `grant` credits may go now: never spend the last credit without granting. */
  canSend(grant: number): boolean {
    return this.sendCredits > 1 || (this.sendCredits === 1 && grant > 0);
  }

  /** Spend one credit on a message; the ticket says what it grants and whether it asks for a response. */
  spend(): SendTicket {
    const grant = this.grantable();
    if (!this.canSend(grant)) throw new Error('no send credit');
    this.sendCredits--;
    this.peerCredits += grant;
    let flags = 0;
    if (this.sendCredits <= this.lowWater && !this.asked) {
      flags |= DataFlag.RESPONSE_REQUESTED;
      this.asked = true;
    }
    return { grant, flags };
  }

  /**
   * Whether to send an empty message just to grant: the peer is down to the low-water mark
   * (it may not spend its last credit without granting, and may have nothing to grant) and
   * we have receives posted that it does not hold yet.
   */
  starvedPeer(): boolean {
    return this.peerCredits <= this.lowWater && this.grantable() > 0;
  }
}
