/** LOGOFF request/response: a StructureSize 4 body, [MS-SMB2] 2.2.7, 2.2.8. */
export { encodeEmptyBody as encodeLogoffRequest, encodeEmptyBody as encodeLogoffResponse } from './simple.js';
