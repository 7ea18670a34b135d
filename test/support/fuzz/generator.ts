/**
 * Builds the fuzz inputs of one connection: valid requests from the grammar, single or in
 * compounds, then mutated (body fields, headers, whole frames). Pre-authentication inputs
 * go to a fresh connection; post-authentication ones follow a scripted login.
 */
import { Command, Dialect, HeaderFlag } from '../../../smb2/constants.js';
import { smb1NegotiateMessage } from '../server-pdus.js';
import {
  postAuthPdu, readPdu, writePdu, setEndOfFilePdu, closePdu, createPdu, negotiatePdu, sessionSetupPdu, ntlmNegotiateToken,
  treeConnectPdu, emptyPdu, RELATED, MiB, type Pdu, type SessionHandles,
} from './grammar.js';
import { assemble, creditsUsed, plan, type PlannedPdu } from './frame.js';
import { mutateBody, mutateFrame, mutateHeader, type MutationOptions } from './mutate.js';
import type { Rng } from './rng.js';

export type Phase = 'pre' | 'post';

/** What the generator knows about its connection. */
export interface CaseState {
  phase: Phase;
  nextMessageId: bigint;
  sessionId: bigint;
  treeId: number;
  handles?: SessionHandles;
}

/** One fuzz input: a whole SMB2 message (or raw bytes with `raw`), and the session id it was built for. */
export interface FuzzInput {
  bytes: Buffer;
  raw: boolean;
  sessionId: bigint;
}

export interface GeneratorOptions extends MutationOptions {
  /** Chance that a request body is mutated. */
  bodyMutation: number;
  headerMutation: number;
  frameMutation: number;
}

export const DEFAULT_GENERATOR: GeneratorOptions = { giantValues: true, bodyMutation: 0.3, headerMutation: 0.04, frameMutation: 0.015 };

export function nextInput(rng: Rng, state: CaseState, o: GeneratorOptions): FuzzInput {
  if (state.phase === 'pre' && rng.chance(0.03)) return rawInput(rng, state);
  const shape = state.phase === 'post' ? postAuthShape(rng, state.handles as SessionHandles, o) : { pdus: preAuthShape(rng, state) };
  const planned = shape.pdus.map((p) => plan(p, { messageId: 0n, treeId: state.treeId, sessionId: state.sessionId }));
  let id = state.nextMessageId;
  for (const p of planned) {
    p.header.messageId = id;
    id += BigInt(Math.max(1, p.header.creditCharge));
  }
  relate(planned, rng);
  applyFault(planned, shape.fault);
  mutatePlanned(rng, planned, state, o);
  let bytes = assemble(planned);
  if (rng.chance(o.frameMutation)) bytes = mutateFrame(rng, bytes);
  state.nextMessageId += BigInt(Math.min(creditsUsed(bytes), 1024));
  return { bytes, raw: false, sessionId: state.sessionId };
}

/** Mark compound elements after the first as related when the shape asked for it (RELATED file ids). */
function relate(planned: PlannedPdu[], rng: Rng): void {
  const related = planned.length > 1 && planned.slice(1).some((p) => p.body.includes(RELATED_BYTES));
  if (!related && !rng.chance(0.1)) return;
  for (const p of planned.slice(1)) {
    p.header.flags |= HeaderFlag.RELATED_OPERATIONS;
    if (rng.chance(0.7)) {
      p.header.sessionId = 0xffffffffffffffffn;
      p.header.treeId = 0xffffffff;
    }
  }
}
const RELATED_BYTES = Buffer.alloc(16, 0xff);

function mutatePlanned(rng: Rng, planned: PlannedPdu[], state: CaseState, o: GeneratorOptions): void {
  const donor = planned[rng.int(planned.length)].body;
  for (const p of planned) {
    if (rng.chance(o.bodyMutation)) p.body = mutateBody(rng, p.header.command, p.body, donor, o);
    if (rng.chance(o.headerMutation)) p.header = mutateHeader(rng, p.header, state.nextMessageId > 0n ? state.nextMessageId - 1n : 0n);
  }
}

/** A header fault the server must refuse by closing the connection, put on a compound's last element. */
type Fault = 'reuse' | 'to-redir';
interface Shape {
  pdus: Pdu[];
  fault?: Fault;
}

function applyFault(planned: PlannedPdu[], fault: Fault | undefined): void {
  const last = planned[planned.length - 1];
  if (fault === 'reuse') last.header.messageId = planned[0].header.messageId;
  if (fault === 'to-redir') last.header.flags |= HeaderFlag.SERVER_TO_REDIR;
}

function postAuthShape(rng: Rng, h: SessionHandles, o: GeneratorOptions): Shape {
  const pdus = postAuthPdus(rng, h, o);
  return Array.isArray(pdus) ? { pdus } : pdus;
}

function postAuthPdus(rng: Rng, h: SessionHandles, o: GeneratorOptions): Pdu[] | Shape {
  switch (rng.weighted<string>([[700, 'single'], [120, 'unrelated'], [120, 'related'], [5, 'bigread+bad'], [1, 'bigreads'], [2, 'giant']])) {
    case 'single':
      return [postAuthPdu(rng, h, o)];
    case 'unrelated':
      return Array.from({ length: 2 + rng.int(3) }, () => postAuthPdu(rng, h, o));
    case 'related':
      return relatedChain(rng, h, o);
    case 'bigread+bad':
      // A large READ whose pages are pinned, then a request the server refuses (issue 9, finding 3).
      return { pdus: [readPdu(h.big, 0, 8 * MiB), rng.chance(0.5) ? emptyPdu(Command.ECHO) : readPdu(h.small, 0, 100)], fault: rng.chance(0.5) ? 'reuse' : 'to-redir' };
    case 'bigreads':
      // A response larger than a direct-TCP frame can carry (issue 9, finding 6).
      return [readPdu(h.big, 0, 8 * MiB), readPdu(h.big, 0, 8 * MiB), readPdu(h.big, 0, 8 * MiB)];
    default:
      if (!o.giantValues) return [postAuthPdu(rng, h, o)];
      // Extend or truncate around a far offset (issue 9, finding 4).
      return rng.chance(0.5)
        ? [writePdu(h.scratch, 2 ** 36, Buffer.from('x')), setEndOfFilePdu(h.scratch, 0n)]
        : [setEndOfFilePdu(h.scratch, BigInt(rng.pick([2 ** 32, 2 ** 36, 2 ** 40])))];
  }
}

function relatedChain(rng: Rng, h: SessionHandles, o: GeneratorOptions): Pdu[] {
  const first = createPdu(rng.pick([h.scratchName, 'small.txt', 'big.bin', 'new.txt', 'dir']), { disposition: rng.pick([1, 3, 5]), options: rng.pick([0, 0x1000]) });
  const rest = Array.from({ length: 1 + rng.int(3) }, () =>
    rng.pick<Pdu>([
      readPdu(RELATED, rng.int(MiB), rng.pick([100, 65536, MiB])),
      writePdu(RELATED, rng.int(MiB), rng.bytes(100)),
      setEndOfFilePdu(RELATED, BigInt(rng.int(MiB))),
      closePdu(RELATED),
      { ...postAuthPdu(rng, h, o) },
    ]),
  );
  return [first, ...rest];
}

function preAuthShape(rng: Rng, state: CaseState): Pdu[] {
  const first = state.nextMessageId === 0n;
  const kind = first
    ? rng.weighted<string>([[80, 'negotiate'], [10, 'other'], [5, 'sessetup'], [5, 'compound']])
    : rng.weighted<string>([[50, 'sessetup'], [15, 'negotiate'], [20, 'other'], [10, 'compound'], [5, 'echo']]);
  switch (kind) {
    case 'negotiate':
      return [negotiatePdu(rng, rng.chance(0.8) ? undefined : rng.pick([[Dialect.SMB2_0_2], [Dialect.SMB3_1_1], [0x0222, 0x02ff], []]))];
    case 'sessetup':
      return [sessionSetupPdu(rng.chance(0.6) ? ntlmNegotiateToken() : rng.bytes(rng.int(400)), rng.chance(0.1) ? BigInt(rng.u32()) : 0n)];
    case 'compound':
      return [negotiatePdu(rng), sessionSetupPdu(ntlmNegotiateToken())];
    case 'echo':
      return [emptyPdu(Command.ECHO)];
    default:
      return [rng.pick<Pdu>([treeConnectPdu('share'), createPdu('small.txt'), readPdu({ persistent: 1n, volatile: 1n }, 0, 100), emptyPdu(Command.LOGOFF), emptyPdu(Command.CANCEL)])];
  }
}

function rawInput(rng: Rng, state: CaseState): FuzzInput {
  const bytes = rng.pick([
    Buffer.from([0x85, 0, 0, 4, 1, 2, 3, 4]),
    Buffer.from([0, 0xff, 0xff, 0xff]),
    Buffer.from([0, 0x80, 0, 0, 0xfe, 0x53]),
    Buffer.from([0, 0, 0, 0]),
    frameOf(smb1NegotiateMessage(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'])),
    frameOf(Buffer.from('GET / HTTP/1.1\r\n\r\n')),
  ]);
  return { bytes, raw: true, sessionId: state.sessionId };
}

function frameOf(message: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(message.length);
  return Buffer.concat([h, message]);
}
