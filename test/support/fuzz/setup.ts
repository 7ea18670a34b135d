/**
 * The scripted, unmutated start of a post-authentication case: NEGOTIATE 3.1.1, NTLMv2
 * SESSION_SETUP as the test user, TREE_CONNECT to 'share', and four opens (a small file,
 * a 9 MiB file for large READs, a directory and a fresh scratch file).
 */
import { Reader } from '../../../wire/index.js';
import { decodeHeader, type Smb2Header } from '../../../smb2/header.js';
import { decodeSessionSetupResponse } from '../../../smb2/commands/session-setup.js';
import { decodeCreateResponse, type FileId } from '../../../smb2/commands/create.js';
import { Status, statusName } from '../../../smb2/status.js';
import { ClientAuthExchange } from '../../../auth/ntlm-client.js';
import { TEST_USER, TEST_PASSWORD } from '../server-fixture.js';
import { negotiatePdu, sessionSetupPdu, treeConnectPdu, createPdu, type Pdu } from './grammar.js';
import { assemble, plan } from './frame.js';
import type { RawClient } from './raw-client.js';
import type { CaseState } from './generator.js';
import { Rng } from './rng.js';

export class SetupError extends Error {}

interface Answer {
  header: Smb2Header;
  reader: Reader;
}

async function exchange(client: RawClient, state: CaseState, pdu: Pdu, answerMs: number): Promise<Answer> {
  const p = plan(pdu, { messageId: state.nextMessageId, treeId: state.treeId, sessionId: state.sessionId });
  p.header.credits = 256;
  client.send(assemble([p]));
  state.nextMessageId += BigInt(Math.max(1, pdu.creditCharge));
  const reply = await client.next(answerMs);
  if (reply.kind !== 'frame') throw new SetupError(`setup ${pdu.command}: ${reply.kind}`);
  const reader = new Reader(reply.message);
  return { header: decodeHeader(reader), reader };
}

function expect(a: Answer, ...ok: number[]): void {
  if (!ok.includes(a.header.status)) throw new SetupError(`setup command ${a.header.command}: ${statusName(a.header.status)}`);
}

async function open(client: RawClient, state: CaseState, pdu: Pdu, answerMs: number): Promise<FileId> {
  const a = await exchange(client, state, pdu, answerMs);
  expect(a, Status.SUCCESS);
  return decodeCreateResponse(a.reader).fileId;
}

/** Log in and open the case's handles; returns the generator state for the post-auth phase. */
export async function loginAndOpen(client: RawClient, scratchName: string, answerMs: number): Promise<CaseState> {
  const state: CaseState = { phase: 'post', nextMessageId: 0n, sessionId: 0n, treeId: 0 };
  expect(await exchange(client, state, negotiatePdu(new Rng(1)), answerMs), Status.SUCCESS);
  const auth = new ClientAuthExchange({ user: TEST_USER, password: TEST_PASSWORD });
  let token = auth.first();
  for (let leg = 0; leg < 3; leg++) {
    const a = await exchange(client, state, sessionSetupPdu(token), answerMs);
    expect(a, Status.SUCCESS, Status.MORE_PROCESSING_REQUIRED);
    state.sessionId = a.header.sessionId;
    const res = decodeSessionSetupResponse(a.reader);
    if (a.header.status === Status.SUCCESS) break;
    token = auth.next(res.securityBuffer);
  }
  const tree = await exchange(client, state, treeConnectPdu('share'), answerMs);
  expect(tree, Status.SUCCESS);
  state.treeId = tree.header.treeId;
  state.handles = {
    small: await open(client, state, createPdu('small.txt'), answerMs),
    big: await open(client, state, createPdu('big.bin', { access: 0x120089 }), answerMs),
    dir: await open(client, state, createPdu('dir', { options: 1, access: 0x100081 }), answerMs),
    scratch: await open(client, state, createPdu(scratchName, { disposition: 5 }), answerMs),
    scratchName,
  };
  return state;
}
