import { signPartsInPlace } from '../auth/signing.js';
import type { EncodedResponse } from './response.js';

/**
 * Sign each response that must be signed with its session's key, [MS-SMB2] 3.3.4.1.1; runs
 * after the compound is chained (the padding is signed too). READ data is signed where it
 * lies; only the header part is written.
 */
export function signResponses(dialect: number, responses: readonly EncodedResponse[]): void {
  for (const r of responses) if (r.signer?.signingKey) signPartsInPlace(dialect, r.signer.signingKey, r.parts);
}
