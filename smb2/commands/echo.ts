/** ECHO request/response: a StructureSize 4 body, [MS-SMB2] 2.2.28, 2.2.29. */
export { encodeEmptyBody as encodeEchoRequest, encodeEmptyBody as encodeEchoResponse } from './simple.js';
