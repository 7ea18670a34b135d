/** TREE_DISCONNECT request/response: a StructureSize 4 body, [MS-SMB2] 2.2.11, 2.2.12. */
export { encodeEmptyBody as encodeTreeDisconnectRequest, encodeEmptyBody as encodeTreeDisconnectResponse } from './simple.js';
