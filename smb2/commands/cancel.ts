/** CANCEL request: a StructureSize 4 body and no response, [MS-SMB2] 2.2.30. */
export { encodeEmptyBody as encodeCancelRequest } from './simple.js';
