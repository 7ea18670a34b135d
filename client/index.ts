/** spliced's SMB2/3 client: used by tests and benchmarks; the transport is pluggable (TCP now, SMB Direct later). */
export { Smb2Client, type ConnectOptions, type SessionOptions } from './smb2-client.js';
export { Tree, parseDirectoryInformation, type CreateOptions, type DirectoryEntry, type FileStandardInfo } from './tree.js';
export { Smb2Connection, SmbError, type RequestOptions, type Smb2Response } from './connection.js';
export { TcpClientTransport, type ClientTransport } from './transport.js';
export { SmbDirectClientTransport, type SmbDirectConnectOptions, type IoBuffer } from './smbdirect-transport.js';
export { SmbDirectFileIo, splitDescriptors, type RdmaIoOptions } from './smbdirect-io.js';
