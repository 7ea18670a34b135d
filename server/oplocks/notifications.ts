import { Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, HeaderFlag } from '../../smb2/constants.js';
import { encodeHeader } from '../../smb2/header.js';
import { Status } from '../../smb2/status.js';
import { encodeLeaseBreakNotification, encodeOplockBreak, LeaseBreakFlag, type LeaseBreakNotification } from '../../smb2/commands/oplock-break.js';
import type { FileId } from '../../smb2/commands/create.js';
import type { Lease } from './types.js';

/** MessageId of a server-to-client notification, [MS-SMB2] 2.2.1.2 and 3.3.4.6. */
export const NOTIFICATION_MESSAGE_ID = 0xffffffffffffffffn;

/**
 * A whole notification message: an unsigned header (the client does not verify a message with
 * MessageId 0xFFFFFFFFFFFFFFFF, [MS-SMB2] 3.2.5.1.3) with no credits, then the body.
 */
function notification(body: Buffer, sessionId: bigint, treeId: number): Buffer {
  const w = new Writer(0, HEADER_SIZE + body.length);
  encodeHeader(w, {
    creditCharge: 0,
    status: Status.SUCCESS,
    command: Command.OPLOCK_BREAK,
    credits: 0,
    flags: HeaderFlag.SERVER_TO_REDIR,
    nextCommand: 0,
    messageId: NOTIFICATION_MESSAGE_ID,
    treeId,
    asyncId: 0n,
    sessionId,
  });
  return w.bytes(body).finish();
}

/** Oplock Break Notification, [MS-SMB2] 3.3.4.6: names the open's session and tree as Windows and Samba do. */
export function oplockBreakMessage(level: number, fileId: FileId, sessionId: bigint, treeId: number): Buffer {
  return notification(encodeOplockBreak(level, fileId), sessionId, treeId);
}

/** Lease Break Notification, [MS-SMB2] 3.3.4.7: SessionId 0, NewEpoch for v2 leases only. */
export function leaseBreakMessage(lease: Lease, newState: number, ackRequired: boolean): Buffer {
  const m: LeaseBreakNotification = {
    newEpoch: lease.version === 2 ? lease.epoch : 0,
    flags: ackRequired ? LeaseBreakFlag.ACK_REQUIRED : 0,
    leaseKey: lease.key,
    currentLeaseState: lease.state,
    newLeaseState: newState,
  };
  return notification(encodeLeaseBreakNotification(m), 0n, 0);
}
