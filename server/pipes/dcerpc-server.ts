import { Reader, DecodeError } from '../../wire/index.js';
import {
  COMMON_HEADER_SIZE, NULL_SYNTAX, PduType, PfcFlag, decodeBind, decodePduHeader, decodeRequest, encodeBindAck, encodeBindNak,
  encodeFault, encodeResponse, peekFragLength, type BindRequest, type ContextElement, type ContextResult, type PduHeader,
  type SyntaxId,
} from './dcerpc-pdu.js';
import type { PipeEndpoint } from './pipe-handle.js';

/** An RPC interface a pipe serves: opnum -> stub in, stub out. A DecodeError thrown becomes a FAULT. */
export interface RpcInterface {
  syntax: SyntaxId;
  /** Secondary address for BIND_ACK, e.g. '\PIPE\srvsvc'. */
  endpoint: string;
  operations: Record<number, (stub: Buffer) => Buffer>;
}

/** NDR 2.0, the one transfer syntax we speak, [C706] 14 / [MS-RPCE] 2.2.5.1. */
export const NDR20_SYNTAX: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 };

/** BIND_NAK reject reason for an authentication type we do not offer, [MS-RPCE] 2.2.2.5. */
const AUTHENTICATION_TYPE_NOT_RECOGNIZED = 8;

/** p_cont_def_result_t and p_provider_reason_t, [C706] 12.6.3.1. */
export const ContextResultCode = { ACCEPTANCE: 0, PROVIDER_REJECTION: 2 } as const;
export const RejectReason = {
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 1,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 2,
} as const;

/** Fault status codes, [C706] Appendix E and [MS-RPCE] 2.2.2.11. */
export const FaultStatus = {
  OP_RNG_ERROR: 0x1c010002,
  UNK_IF: 0x1c010003,
  PROTO_ERROR: 0x1c01000b,
  BAD_STUB_DATA: 0x000006f7,
  ACCESS_DENIED: 0x00000005,
} as const;

/** Largest fragment we send or accept; Windows and Samba use 4280. */
export const MAX_FRAG = 4280;
/** RESPONSE header: common header + alloc_hint, p_cont_id, cancel_count, reserved, [C706] 12.6.4.10. */
const RESPONSE_HEADER_SIZE = 24;
/** Bound on a reassembled request, so a client cannot make the pipe buffer without limit. */
const MAX_REQUEST_BYTES = 1024 * 1024;

interface PendingRequest {
  callId: number;
  contextId: number;
  opnum: number;
  parts: Buffer[];
  size: number;
}

/**
 * The connection-oriented DCE/RPC server side of one pipe open, [C706] 12 / [MS-RPCE] 3.3.
 * No authentication: on a named pipe the SMB session already authenticated the caller.
 */
export class RpcPipe implements PipeEndpoint {
  private inbox = Buffer.alloc(0);
  private contexts = new Map<number, RpcInterface>();
  private maxXmitFrag = MAX_FRAG;
  private pending?: PendingRequest;

  constructor(private readonly interfaces: RpcInterface[]) {}

  receive(data: Buffer): Buffer[] {
    this.inbox = Buffer.concat([this.inbox, data]);
    const out: Buffer[] = [];
    while (this.inbox.length >= COMMON_HEADER_SIZE) {
      const length = peekFragLength(this.inbox);
      if (length < COMMON_HEADER_SIZE || length > MAX_FRAG) {
        out.push(encodeFault(0, 0, FaultStatus.PROTO_ERROR, true));
        this.inbox = Buffer.alloc(0);
        break;
      }
      if (this.inbox.length < length) break;
      const pdu = this.inbox.subarray(0, length);
      this.inbox = this.inbox.subarray(length);
      out.push(...this.handlePdu(pdu));
    }
    return out;
  }

  private handlePdu(pdu: Buffer): Buffer[] {
    let header: PduHeader | undefined;
    try {
      const r = new Reader(pdu);
      header = decodePduHeader(r);
      if (header.authLength !== 0) return [this.refuseAuth(header)];
      if (header.type === PduType.BIND || header.type === PduType.ALTER_CONTEXT) return [this.bind(header, decodeBind(r))];
      if (header.type === PduType.REQUEST) return this.request(header, r);
      return [encodeFault(header.callId, 0, FaultStatus.PROTO_ERROR, true)];
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.pending = undefined;
      return [encodeFault(header?.callId ?? 0, 0, FaultStatus.PROTO_ERROR, true)];
    }
  }

  /** Authenticated binds are not supported (the transport authenticated already). */
  private refuseAuth(header: PduHeader): Buffer {
    if (header.type === PduType.BIND) return encodeBindNak(header.callId, AUTHENTICATION_TYPE_NOT_RECOGNIZED);
    return encodeFault(header.callId, 0, FaultStatus.ACCESS_DENIED, true);
  }

  private bind(header: PduHeader, bind: BindRequest): Buffer {
    const isBind = header.type === PduType.BIND;
    if (isBind) this.maxXmitFrag = Math.min(MAX_FRAG, Math.max(RESPONSE_HEADER_SIZE + 8, bind.maxRecvFrag));
    const results = bind.contexts.map((c) => this.negotiate(c));
    const first = bind.contexts.find((c) => this.contexts.has(c.contextId));
    return encodeBindAck(isBind ? PduType.BIND_ACK : PduType.ALTER_CONTEXT_RESP, header.callId, {
      maxXmitFrag: this.maxXmitFrag,
      maxRecvFrag: MAX_FRAG,
      assocGroupId: bind.assocGroupId || 0x12345,
      secondaryAddress: isBind && first ? this.contexts.get(first.contextId)!.endpoint : '',
      results,
    });
  }

  /** Accept a context that names an interface we serve with NDR 2.0; reject NDR64, feature negotiation and the rest. */
  private negotiate(c: ContextElement): ContextResult {
    const iface = this.interfaces.find((i) => i.syntax.uuid === c.abstractSyntax.uuid && i.syntax.version === c.abstractSyntax.version);
    const reject = (reason: number): ContextResult => ({ result: ContextResultCode.PROVIDER_REJECTION, reason, transferSyntax: NULL_SYNTAX });
    if (!iface) return reject(RejectReason.ABSTRACT_SYNTAX_NOT_SUPPORTED);
    const ndr = c.transferSyntaxes.find((t) => t.uuid === NDR20_SYNTAX.uuid && t.version === NDR20_SYNTAX.version);
    if (!ndr) return reject(RejectReason.TRANSFER_SYNTAXES_NOT_SUPPORTED);
    this.contexts.set(c.contextId, iface);
    return { result: ContextResultCode.ACCEPTANCE, reason: 0, transferSyntax: NDR20_SYNTAX };
  }

  /** REQUEST fragments are gathered until LAST_FRAG, then the operation runs, [C706] 12.4.3. */
  private request(header: PduHeader, r: Reader): Buffer[] {
    const req = decodeRequest(r, header);
    if (header.flags & PfcFlag.FIRST_FRAG) {
      this.pending = { callId: header.callId, contextId: req.contextId, opnum: req.opnum, parts: [], size: 0 };
    }
    const p = this.pending;
    if (!p || p.callId !== header.callId) {
      this.pending = undefined;
      return [encodeFault(header.callId, req.contextId, FaultStatus.PROTO_ERROR, true)];
    }
    p.parts.push(Buffer.from(req.stub));
    p.size += req.stub.length;
    if (p.size > MAX_REQUEST_BYTES) throw new DecodeError('request too large');
    if (!(header.flags & PfcFlag.LAST_FRAG)) return [];
    this.pending = undefined;
    return this.call(p.callId, p.contextId, p.opnum, Buffer.concat(p.parts));
  }

  private call(callId: number, contextId: number, opnum: number, stub: Buffer): Buffer[] {
    const iface = this.contexts.get(contextId);
    if (!iface) return [encodeFault(callId, contextId, FaultStatus.UNK_IF, true)];
    const operation = iface.operations[opnum];
    if (!operation) return [encodeFault(callId, contextId, FaultStatus.OP_RNG_ERROR, true)];
    let result: Buffer;
    try {
      result = operation(stub);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return [encodeFault(callId, contextId, FaultStatus.BAD_STUB_DATA, false)];
    }
    return this.fragment(callId, contextId, result);
  }

  /** Split a response stub into fragments no larger than the client's max_recv_frag, [C706] 12.6.3.7. */
  private fragment(callId: number, contextId: number, stub: Buffer): Buffer[] {
    const room = Math.floor((this.maxXmitFrag - RESPONSE_HEADER_SIZE) / 8) * 8;
    const out: Buffer[] = [];
    for (let at = 0; at === 0 || at < stub.length; at += room) {
      const flags = (at === 0 ? PfcFlag.FIRST_FRAG : 0) | (at + room >= stub.length ? PfcFlag.LAST_FRAG : 0);
      out.push(encodeResponse(callId, flags, contextId, stub.length - at, stub.subarray(at, at + room)));
    }
    return out;
  }
}
