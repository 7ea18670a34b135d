/**
 * Found inputs, kept as JSON in test/fuzz/corpus/<kind>-<hash>.json: the phase, the scratch
 * file name the case opened, and the messages as hex with the session id they were built for
 * (replay swaps it for the live one). test/unit/fuzz-corpus.test.ts replays every entry.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzInput, Phase } from './generator.js';
import type { FindingKind } from './runner.js';

export const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fuzz', 'corpus');

export interface CorpusEntry {
  kind: FindingKind;
  /** kind and the commands of the input it followed, e.g. "leak:READ+ECHO". */
  signature: string;
  /** What it looked like when found, and which known issue it matches if any. */
  detail: string;
  phase: Phase;
  scratchName: string;
  /** Post-auth inputs sent back to back, as when found. */
  window: number;
  found: { seed: number; case: number };
  /** The inputs in words (commands, header faults, sizes), see describe.ts. */
  shape?: string[];
  inputs: Array<{ hex: string; raw: boolean; sessionId: string }>;
}

export function entryInputs(entry: CorpusEntry): FuzzInput[] {
  return entry.inputs.map((i) => ({ bytes: Buffer.from(i.hex, 'hex'), raw: i.raw, sessionId: BigInt(i.sessionId) }));
}

export function recordInputs(inputs: FuzzInput[]): CorpusEntry['inputs'] {
  return inputs.map((i) => ({ hex: i.bytes.toString('hex'), raw: i.raw, sessionId: `0x${i.sessionId.toString(16)}` }));
}

/** Write the entry under a name derived from its content; returns the file path. */
export async function saveEntry(dir: string, entry: CorpusEntry): Promise<string> {
  await mkdir(dir, { recursive: true });
  const hash = createHash('sha256').update(entry.phase).update(JSON.stringify(entry.inputs)).digest('hex').slice(0, 12);
  const file = path.join(dir, `${entry.kind}-${hash}.json`);
  await writeFile(file, `${JSON.stringify(entry, null, 1)}\n`);
  return file;
}

export async function loadCorpus(dir = CORPUS_DIR): Promise<Array<{ file: string; entry: CorpusEntry }>> {
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return Promise.all(names.map(async (n) => ({ file: n, entry: JSON.parse(await readFile(path.join(dir, n), 'utf8')) as CorpusEntry })));
}
