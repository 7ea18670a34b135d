import type { Reader } from '../wire/index.js';
import type { Smb2Header } from '../smb2/header.js';
import type { Logger } from './log.js';
import type { ServerCore } from './server-core.js';
import type { ConnectionState, Open, Session, TreeConnect } from './state.js';
import type { MessagePayloads } from './message-payloads.js';
import type { MessagePieces } from './message-pieces.js';
import type { IncomingWrite } from './incoming-write.js';
import type { ChainState, RemoteBuffers, RequestContext } from './handler.js';

/**
 * The context the pipeline hands a request's handler: a class, so every request's context has
 * one shape (validate.ts adds the session and tree to it), and the AbortSignal is made only when
 * a handler asks for it (most never do; AbortController makes it on first use).
 */
export class PipelineContext implements RequestContext {
  session?: Session = undefined;
  tree?: TreeConnect = undefined;
  usedOpens?: Open[] = undefined;

  constructor(
    public core: ServerCore,
    public conn: ConnectionState,
    public header: Smb2Header,
    public message: Buffer,
    public reader: Reader,
    public chain: ChainState,
    public payloads: MessagePayloads,
    public log: Logger,
    public remote: RemoteBuffers,
    public mayGoAsync: boolean,
    private readonly abort: AbortController,
    public pieces?: MessagePieces,
    public incoming?: IncomingWrite,
  ) {}

  get cancelled(): AbortSignal {
    return this.abort.signal;
  }
}
