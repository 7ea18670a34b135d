/** The auth module's public surface: SESSION_SETUP authentication, SMB2 signing, the users file. */
export { AuthError } from './auth-error.js';
export type { AuthResult, NtlmServerOptions } from './ntlm-server.js';
export { NtlmServer } from './ntlm-server.js';
export { ServerAuthExchange, type AuthStep } from './server-session-auth.js';
export { ClientAuthExchange, NtlmClient, type ClientCredentials } from './ntlm-client.js';
export { spnegoNegotiateToken, spnegoParse, spnegoResponse, spnegoClientInit, spnegoClientResp, type SpnegoIn } from './spnego.js';
export { Dialect, SigningAlgorithm, SMB2_FLAGS_SIGNED, defaultSigningAlgorithm, signingKey, sign, signInPlace, verify } from './signing.js';
export { PreauthHash } from './preauth.js';
export { ntHash } from './nt-hash.js';
export { loadUsersFile, addUser, deleteUser, listUsers, validateUserName } from './users-file.js';
export { MemoryUserDb, type UserDb, type UserAccount } from './user-db.js';
