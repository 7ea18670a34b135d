import { Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, ResponseStructureSize } from '../constants.js';

/**
 * The four-byte bodies (StructureSize 4, Reserved) shared by LOGOFF (2.2.7/2.2.8),
 * TREE_DISCONNECT (2.2.11/2.2.12), ECHO (2.2.28/2.2.29), CANCEL (2.2.30),
 * FLUSH and LOCK responses (2.2.18, 2.2.27) of [MS-SMB2].
 */
export function encodeEmptyBody(): Buffer {
  return new Writer(HEADER_SIZE, 4).u16(ResponseStructureSize[Command.ECHO]).u16(0).finish();
}
