import { Writer } from '../../wire/index.js';
import { HEADER_SIZE, ResponseStructureSize } from '../constants.js';

/** SMB2 ERROR response, [MS-SMB2] 2.2.2: StructureSize 9 and one byte of ErrorData when empty. */
export function encodeErrorResponse(errorData: Buffer = Buffer.alloc(0)): Buffer {
  const w = new Writer(HEADER_SIZE, 9 + errorData.length);
  w.u16(ResponseStructureSize.ERROR).u8(0).u8(0).u32(errorData.length).bytes(errorData.length ? errorData : Buffer.alloc(1));
  return w.finish();
}
