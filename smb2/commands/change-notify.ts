import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
export { encodeOutputBufferResponse as encodeChangeNotifyResponse, decodeOutputBufferResponse as decodeChangeNotifyResponse } from './query-directory.js';

/** CHANGE_NOTIFY request Flags, [MS-SMB2] 2.2.35. */
export const ChangeNotifyFlag = { WATCH_TREE: 0x0001 } as const;

/** CompletionFilter bits, [MS-SMB2] 2.2.35 (FILE_NOTIFY_CHANGE_*). */
export const NotifyFilter = {
  FILE_NAME: 0x00000001,
  DIR_NAME: 0x00000002,
  ATTRIBUTES: 0x00000004,
  SIZE: 0x00000008,
  LAST_WRITE: 0x00000010,
  LAST_ACCESS: 0x00000020,
  CREATION: 0x00000040,
  EA: 0x00000080,
  SECURITY: 0x00000100,
  STREAM_NAME: 0x00000200,
  STREAM_SIZE: 0x00000400,
  STREAM_WRITE: 0x00000800,
} as const;

/** FILE_NOTIFY_INFORMATION Action values, [MS-FSCC] 2.7.1. */
export const NotifyAction = {
  ADDED: 0x00000001,
  REMOVED: 0x00000002,
  MODIFIED: 0x00000003,
  RENAMED_OLD_NAME: 0x00000004,
  RENAMED_NEW_NAME: 0x00000005,
} as const;

/** CHANGE_NOTIFY request, [MS-SMB2] 2.2.35; the response is 2.2.36 (StructureSize 9, offset, length, buffer). */
export interface ChangeNotifyRequest {
  flags: number;
  outputBufferLength: number;
  fileId: FileId;
  completionFilter: number;
}

export function decodeChangeNotifyRequest(r: Reader): ChangeNotifyRequest {
  r.u16();
  const flags = r.u16();
  const outputBufferLength = r.u32();
  const fileId = readFileId(r);
  const completionFilter = r.u32();
  r.u32();
  return { flags, outputBufferLength, fileId, completionFilter };
}

export function encodeChangeNotifyRequest(m: ChangeNotifyRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 32);
  w.u16(RequestStructureSize[Command.CHANGE_NOTIFY]).u16(m.flags).u32(m.outputBufferLength);
  writeFileId(w, m.fileId);
  w.u32(m.completionFilter).u32(0);
  return w.finish();
}

/** One change: its Action and the name relative to the watched directory ('\\' separators). */
export interface NotifyChange {
  action: number;
  name: string;
}

/** FILE_NOTIFY_INFORMATION entries before the name, [MS-FSCC] 2.7.1: NextEntryOffset, Action, FileNameLength. */
const ENTRY_FIXED = 12;

/** Bytes one change takes in the output buffer: 4-byte aligned, as the next entry must be ([MS-FSCC] 2.7.1). */
export function notifyEntrySize(change: NotifyChange): number {
  return align4(ENTRY_FIXED + Buffer.byteLength(change.name, 'utf16le'));
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** FILE_NOTIFY_INFORMATION entries, [MS-FSCC] 2.7.1: NextEntryOffset 0 on the last, no padding after it. */
export function encodeNotifyInformation(changes: NotifyChange[]): Buffer {
  const w = new Writer(0, 64);
  changes.forEach((c, i) => {
    const name = Buffer.from(c.name, 'utf16le');
    const last = i === changes.length - 1;
    w.u32(last ? 0 : align4(ENTRY_FIXED + name.length)).u32(c.action).u32(name.length).bytes(name);
    if (!last) w.zeros(align4(name.length) - name.length);
  });
  return w.finish();
}

/** The entries of a CHANGE_NOTIFY output buffer (the client side, and tests). */
export function decodeNotifyInformation(buf: Buffer): NotifyChange[] {
  const out: NotifyChange[] = [];
  const r = new Reader(buf);
  let at = 0;
  for (;;) {
    r.seek(at);
    const next = r.u32();
    const action = r.u32();
    out.push({ action, name: r.utf16(r.u32()) });
    if (next === 0 || buf.length === 0) return out;
    at += next;
  }
}
