import { Reader, DecodeError } from '../wire/index.js';
import { DerTag, contextTag, children, expectElement, inner, oid, readElement, tlv, type DerElement } from './der.js';
import { NTLMSSP_SIGNATURE } from './ntlm-constants.js';

/** Object identifiers, [RFC 4178] 3.1 (SPNEGO) and [MS-NLMP] 1.9 (NTLMSSP). */
export const SPNEGO_OID = oid('1.3.6.1.5.5.2');
export const NTLMSSP_OID = oid('1.3.6.1.4.1.311.2.2.10');

/** negState, [RFC 4178] 4.2.2. */
export const NegState = {
  'accept-completed': 0,
  'accept-incomplete': 1,
  reject: 2,
  'request-mic': 3,
} as const;
export type NegStateName = keyof typeof NegState;

/** NegHints.hintName Windows and Samba send, [MS-SPNG] 2.2.1. */
const NEG_HINT_NAME = 'not_defined_in_RFC4178@please_ignore';

export type SpnegoIn = {
  kind: 'init' | 'resp' | 'raw';
  mechToken?: Buffer;
  mechListMic?: Buffer;
  /** DER of the MechTypeList SEQUENCE exactly as received: the data mechListMIC covers, [RFC 4178] 5. */
  mechTypesDer?: Buffer;
  /** Each MechType as a full DER OID TLV, in the client's order of preference. */
  mechTypes?: Buffer[];
  negState?: number;
  supportedMech?: Buffer;
};

export function isNtlmssp(token: Buffer): boolean {
  return token.length >= NTLMSSP_SIGNATURE.length && token.subarray(0, NTLMSSP_SIGNATURE.length).equals(NTLMSSP_SIGNATURE);
}

const octets = (n: number, value: Buffer): Buffer => tlv(contextTag(n), tlv(DerTag.OCTET_STRING, value));

/** NegTokenInit2 advertising NTLMSSP only, for the SMB2 NEGOTIATE response, [MS-SPNG] 2.2.1. */
export function spnegoNegotiateToken(): Buffer {
  const negHints = tlv(DerTag.SEQUENCE, tlv(contextTag(0), tlv(DerTag.GENERAL_STRING, Buffer.from(NEG_HINT_NAME, 'latin1'))));
  const init2 = tlv(DerTag.SEQUENCE, tlv(contextTag(0), tlv(DerTag.SEQUENCE, NTLMSSP_OID)), tlv(contextTag(3), negHints));
  return tlv(DerTag.APPLICATION_0, SPNEGO_OID, tlv(contextTag(0), init2));
}

/** DER MechTypeList offering NTLMSSP only: what a client's mechListMIC covers. */
export function ntlmMechTypesDer(): Buffer {
  return tlv(DerTag.SEQUENCE, NTLMSSP_OID);
}

/** The client's first token: InitialContextToken with NegTokenInit carrying NTLM NEGOTIATE, [RFC 4178] 4.2.1. */
export function spnegoClientInit(ntlmToken: Buffer): Buffer {
  const init = tlv(DerTag.SEQUENCE, tlv(contextTag(0), ntlmMechTypesDer()), octets(2, ntlmToken));
  return tlv(DerTag.APPLICATION_0, SPNEGO_OID, tlv(contextTag(0), init));
}

/** The client's next token: NegTokenResp with responseToken and mechListMIC, [RFC 4178] 4.2.2. */
export function spnegoClientResp(ntlmToken: Buffer, mechListMic?: Buffer): Buffer {
  const fields = [octets(2, ntlmToken)];
  if (mechListMic) fields.push(octets(3, mechListMic));
  return tlv(contextTag(1), tlv(DerTag.SEQUENCE, ...fields));
}

/** NegTokenResp from the server, [RFC 4178] 4.2.2; supportedMech goes only in the first reply. */
export function spnegoResponse(
  state: NegStateName,
  responseToken?: Buffer,
  mechListMic?: Buffer,
  supportedMechNtlm?: boolean,
): Buffer {
  const fields = [tlv(contextTag(0), tlv(DerTag.ENUMERATED, Buffer.from([NegState[state]])))];
  if (supportedMechNtlm) fields.push(tlv(contextTag(1), NTLMSSP_OID));
  if (responseToken) fields.push(octets(2, responseToken));
  if (mechListMic) fields.push(octets(3, mechListMic));
  return tlv(contextTag(1), tlv(DerTag.SEQUENCE, ...fields));
}

/** Parses a security buffer: SPNEGO init or resp, or a raw NTLMSSP message. */
export function spnegoParse(token: Buffer): SpnegoIn {
  if (isNtlmssp(token)) return { kind: 'raw', mechToken: token };
  const r = new Reader(token);
  const top = readElement(r);
  if (top.tag === DerTag.APPLICATION_0) {
    const body = new Reader(top.content);
    const mech = expectElement(body, DerTag.OID, 'GSS thisMech');
    if (!mech.raw.equals(SPNEGO_OID)) throw new DecodeError('GSS token is not SPNEGO');
    return parseInit(expectElement(body, contextTag(0), 'negTokenInit'));
  }
  if (top.tag === contextTag(0)) return parseInit(top);
  if (top.tag === contextTag(1)) return parseResp(top);
  throw new DecodeError(`unknown SPNEGO token tag 0x${top.tag.toString(16)}`);
}

/** NegTokenInit ([RFC 4178] 4.2.1) or NegTokenInit2 ([MS-SPNG] 2.2.1): [3] is a MIC in one, hints in the other. */
function parseInit(wrapper: DerElement): SpnegoIn {
  const seq = inner(wrapper, DerTag.SEQUENCE, 'NegTokenInit');
  const out: SpnegoIn = { kind: 'init' };
  for (const field of children(seq.content)) {
    if (field.tag === contextTag(0)) {
      const list = inner(field, DerTag.SEQUENCE, 'mechTypes');
      out.mechTypesDer = list.raw;
      out.mechTypes = children(list.content).map((m) => {
        if (m.tag !== DerTag.OID) throw new DecodeError('mechTypes holds a non-OID');
        return m.raw;
      });
    } else if (field.tag === contextTag(2)) {
      out.mechToken = inner(field, DerTag.OCTET_STRING, 'mechToken').content;
    } else if (field.tag === contextTag(3) || field.tag === contextTag(4)) {
      const value = inner(field, readInnerTag(field), 'mechListMIC or negHints');
      if (value.tag === DerTag.OCTET_STRING) out.mechListMic = value.content;
    }
  }
  if (!out.mechTypes || out.mechTypes.length === 0) throw new DecodeError('NegTokenInit without mechTypes');
  return out;
}

function parseResp(wrapper: DerElement): SpnegoIn {
  const seq = inner(wrapper, DerTag.SEQUENCE, 'NegTokenResp');
  const out: SpnegoIn = { kind: 'resp' };
  for (const field of children(seq.content)) {
    if (field.tag === contextTag(0)) {
      const state = inner(field, DerTag.ENUMERATED, 'negState').content;
      if (state.length !== 1) throw new DecodeError('negState must be one byte');
      out.negState = state[0];
    } else if (field.tag === contextTag(1)) {
      out.supportedMech = inner(field, DerTag.OID, 'supportedMech').raw;
    } else if (field.tag === contextTag(2)) {
      out.mechToken = inner(field, DerTag.OCTET_STRING, 'responseToken').content;
    } else if (field.tag === contextTag(3)) {
      out.mechListMic = inner(field, DerTag.OCTET_STRING, 'mechListMIC').content;
    }
  }
  return out;
}

function readInnerTag(e: DerElement): number {
  if (e.content.length === 0) throw new DecodeError('empty explicit tag');
  return e.content[0];
}
