import type { Transport } from './transport.js';
import type { Logger } from './log.js';
import type { ReadPayload } from './file-io.js';
import type { MessagePayloads } from './message-payloads.js';
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';
import type { EncodedResponse } from './response.js';

/**
 * The send stage: the only code that hands response bytes and READ data to a transport. It
 * sends one reply message (a compound is one transport submission, [MS-SMB2] 3.3.4.1.3) and
 * reports the READ bytes that reached the client to the message's payload owner, which
 * releases and counts every payload once when the message settles, sent or not.
 */
export class SendStage {
  constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
  ) {}

  /** Send a chained, signed reply; a send that fails closes the connection (the stream is unusable). */
  async send(responses: readonly EncodedResponse[], payloads: MessagePayloads): Promise<void> {
    const parts = responses.length === 1 ? responses[0].parts : responses.flatMap((r) => r.parts);
    const invalidateToken = invalidateTokenOf(responses);
    try {
      await this.transport.send(parts, invalidateToken === undefined ? undefined : { invalidateToken });
      for (const r of responses) if (r.payload?.length) payloads.delivered(r.payload, r.payload.length);
    } catch (err) {
      this.log.debug({ err }, 'send failed; closing connection');
      this.transport.disconnect();
    }
    if (responses.some((r) => r.disconnect)) this.transport.disconnect();
  }

  /** Whether READ data can go by RDMA WRITE on this transport (SMB Direct). */
  get canWriteRemote(): boolean {
    return this.transport.rdmaWrite !== undefined;
  }

  /**
   * READ data by RDMA WRITE into the client's registered buffers, [MS-SMB2] 3.3.5.12; resolves
   * with the bytes written. The payload stays with its owner, which releases it with the message.
   */
  async writeRemote(payload: ReadPayload, descriptors: BufferDescriptor[], payloads: MessagePayloads): Promise<number> {
    if (!this.transport.rdmaWrite) throw new Error('transport has no RDMA WRITE');
    const sent = await this.transport.rdmaWrite(descriptors, payload);
    payloads.delivered(payload, sent, this.transport.copiesReadData === true);
    return sent;
  }

  /**
   * A server-to-client notification (an oplock or lease break, [MS-SMB2] 3.3.4.6 and 3.3.4.7):
   * one message, never signed, with nothing to settle; a send that fails closes the connection.
   */
  async notify(message: Buffer): Promise<void> {
    try {
      await this.transport.send([message]);
    } catch (err) {
      this.log.debug({ err }, 'notification send failed; closing connection');
      this.transport.disconnect();
    }
  }

  /** A message that is not an SMB2 reply (the answer to an SMB1 NEGOTIATE); errors are ignored. */
  async sendRaw(message: Buffer): Promise<void> {
    await this.transport.send([message]).catch(() => {});
  }
}

function invalidateTokenOf(responses: readonly EncodedResponse[]): number | undefined {
  for (const r of responses) if (r.invalidateToken !== undefined) return r.invalidateToken;
  return undefined;
}
