/**
 * Runs one fuzz case (one connection) against a target and judges it: a crash (an internal
 * error the server logged), a stall (event loop blocked longer than the bound), no answer
 * within the bound, a connection the server never lets go, or pins not back to idle after
 * the connection closed.
 */
import { Command } from '../../../smb2/constants.js';
import { RawClient } from './raw-client.js';
import { loginAndOpen, SetupError } from './setup.js';
import { nextInput, type CaseState, type FuzzInput, type GeneratorOptions, type Phase } from './generator.js';
import { expectsAnswer, headerOffsets, H } from './frame.js';
import { StallMonitor } from './probes.js';
import type { Target } from './target.js';
import type { Rng } from './rng.js';

export type FindingKind = 'crash' | 'stall' | 'no-answer' | 'linger' | 'leak' | 'setup';

export interface Finding {
  kind: FindingKind;
  /** Index of the input it showed after (the last input for case-level findings). */
  input: number;
  detail: string;
  /** How long the event loop was blocked (stalls). */
  ms?: number;
}

export interface Bounds {
  /** An answer later than this is a hang. */
  answerMs: number;
  /** An event-loop delay above this is a stall. */
  stallMs: number;
  /** How long the server may take to drop its side of a closed connection. */
  lingerMs: number;
}

export const DEFAULT_BOUNDS: Bounds = { answerMs: 1000, stallMs: 100, lingerMs: 2000 };

/** Where a case's inputs come from: the generator (fuzzing) or a recorded list (replay). */
export type InputSource = { kind: 'generate'; rng: Rng; count: number; options: GeneratorOptions } | { kind: 'replay'; inputs: FuzzInput[] };

export interface CaseSpec {
  phase: Phase;
  scratchName: string;
  source: InputSource;
  /** Post-auth inputs sent back to back before waiting for their answers (default 1). */
  window?: number;
}

export interface CaseResult {
  /** Inputs sent, as recorded (session ids as they were built). */
  inputs: FuzzInput[];
  findings: Finding[];
  /** The server closed the connection (a refused request ends a case early). */
  closedByServer: boolean;
}

export async function runCase(target: Target, spec: CaseSpec, bounds: Bounds, monitor: StallMonitor): Promise<CaseResult> {
  const base = { connections: target.connections(), payloads: target.payloads.live, pinned: target.pinned(), errors: target.errors.errors.length, internal: target.errors.internal };
  const client = await RawClient.connect(target.port);
  const result: CaseResult = { inputs: [], findings: [], closedByServer: false };
  monitor.takeMaxMs();
  let state: CaseState = { phase: 'pre', nextMessageId: 0n, sessionId: 0n, treeId: 0 };
  try {
    if (spec.phase === 'post') state = await loginAndOpen(client, spec.scratchName, bounds.answerMs);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    result.findings.push({ kind: 'setup', input: -1, detail: err.message });
  }
  if (result.findings.length === 0) await sendInputs(client, spec.source, state, { bounds, monitor, target, result, window: spec.window ?? 1, errorMark: base.errors, internalMark: base.internal });
  if (client.closed) result.closedByServer = true;
  await client.close();
  await judgeAfterClose(target, base, bounds, result, monitor);
  return result;
}

interface Judge {
  bounds: Bounds;
  monitor: StallMonitor;
  target: Target;
  result: CaseResult;
  /** Inputs sent back to back before waiting for their answers. */
  window: number;
  errorMark: number;
  internalMark: number;
}

async function sendInputs(client: RawClient, source: InputSource, state: CaseState, judge: Judge): Promise<void> {
  const count = source.kind === 'generate' ? source.count : source.inputs.length;
  // Pre-auth inputs follow the session id of the previous answer, so they go one at a time.
  const window = state.phase === 'pre' ? 1 : judge.window;
  let i = 0;
  while (i < count && !client.closed) {
    let expected = 0;
    let raw = false;
    for (let k = 0; k < window && i < count && !raw; k++, i++) {
      const input = source.kind === 'generate' ? nextInput(source.rng, state, source.options) : source.inputs[i];
      judge.result.inputs.push(input);
      const bytes = source.kind === 'replay' ? withSession(input, state.sessionId) : input.bytes;
      raw = input.raw;
      if (raw) client.sendRaw(bytes);
      else client.send(bytes);
      if (!raw && expectsAnswer(bytes)) expected++;
    }
    const last = i - 1;
    if (!(await collect(client, expected, state, judge, last)) || raw) {
      if (raw) await new Promise((r) => setTimeout(r, 20));
      checkStall(judge, last);
      break;
    }
    checkCrash(judge, last);
  }
  checkCrash(judge, judge.result.inputs.length - 1);
}

/** Wait for `expected` answers; false when the case cannot go on (closed, or an answer never came). */
async function collect(client: RawClient, expected: number, state: CaseState, judge: Judge, last: number): Promise<boolean> {
  for (let n = 0; n < expected; n++) {
    const reply = await client.next(judge.bounds.answerMs);
    const stalled = checkStall(judge, last);
    if (reply.kind === 'timeout') {
      if (!stalled) judge.result.findings.push({ kind: 'no-answer', input: last, detail: `no answer within ${judge.bounds.answerMs} ms` });
      return false;
    }
    if (reply.kind === 'closed') return false;
    learn(state, reply.message);
  }
  checkStall(judge, last);
  return true;
}

function checkStall(judge: Judge, input: number): boolean {
  const ms = judge.monitor.takeMaxMs();
  if (ms <= judge.bounds.stallMs) return false;
  judge.result.findings.push({ kind: 'stall', input, ms, detail: `event loop blocked ${Math.round(ms)} ms` });
  return true;
}

/** The first internal error of a case is pinned to the input it followed. */
function checkCrash(judge: Judge, input: number): void {
  const { target, result } = judge;
  if (result.findings.some((f) => f.kind === 'crash')) return;
  if (target.errors.errors.length === judge.errorMark && target.errors.internal === judge.internalMark) return;
  result.findings.push({ kind: 'crash', input, detail: target.errors.since(judge.errorMark)[0] ?? 'protocol error "internal"' });
}

/** Pre-auth cases follow the session id the server hands out in SESSION_SETUP responses. */
function learn(state: CaseState, response: Buffer): void {
  if (state.phase !== 'pre' || response.length < H.SIZE) return;
  if (response.readUInt16LE(H.COMMAND) !== Command.SESSION_SETUP) return;
  const id = response.readBigUInt64LE(H.SESSION_ID);
  if (id !== 0n) state.sessionId = id;
}

/** A recorded input with its session id (as built) replaced by the current one, in every header that carried it. */
export function withSession(input: FuzzInput, sessionId: bigint): Buffer {
  if (input.raw || input.sessionId === 0n || input.sessionId === sessionId) return input.bytes;
  const b = Buffer.from(input.bytes);
  for (const at of headerOffsets(b)) if (b.readBigUInt64LE(at + H.SESSION_ID) === input.sessionId) b.writeBigUInt64LE(sessionId, at + H.SESSION_ID);
  return b;
}

interface Baseline {
  connections: number;
  payloads: number;
  pinned: number;
  errors: number;
  internal: number;
}

async function judgeAfterClose(target: Target, base: Baseline, bounds: Bounds, result: CaseResult, monitor: StallMonitor): Promise<void> {
  const last = Math.max(0, result.inputs.length - 1);
  const gone = await waitFor(() => target.connections() <= base.connections, bounds.lingerMs);
  // Work the server still did for the closed connection (closing its opens) may block the loop too.
  const ms = monitor.takeMaxMs();
  if (ms > bounds.stallMs && !result.findings.some((f) => f.kind === 'stall')) {
    result.findings.push({ kind: 'stall', input: last, ms, detail: `event loop blocked ${Math.round(ms)} ms after the client closed` });
  }
  if (!gone) result.findings.push({ kind: 'linger', input: last, detail: `server kept the connection ${bounds.lingerMs} ms after the client closed` });
  const errors = target.errors.since(base.errors);
  const crashed = result.findings.some((f) => f.kind === 'crash');
  if (!crashed && (errors.length || target.errors.internal > base.internal)) {
    result.findings.push({ kind: 'crash', input: last, detail: errors[0] ?? 'protocol error "internal"' });
  }
  await waitFor(() => target.payloads.live <= base.payloads && target.pinned() <= base.pinned, 50);
  const payloads = target.payloads.live - base.payloads;
  const pinned = target.pinned() - base.pinned;
  if (payloads > 0 || pinned > 0) result.findings.push({ kind: 'leak', input: last, detail: `${payloads} READ payloads and ${pinned} pages still pinned after the connection closed` });
}

async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}
