/**
 * The effective configuration printed the way testparm does: every parameter with its
 * resolved value, in the same grammar, so the output is itself a valid spliced.conf.
 */
import type { ShareConfig } from '../server/options.js';
import { formatInterface } from './config-interfaces.js';
import type { SplicedConfig } from './config-keys.js';
import { dialectName, formatHostPort, formatSize } from './config-values.js';

const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');

function globalLines(cfg: SplicedConfig): Array<[string, string]> {
  const o = cfg.options;
  const l = o.limits;
  const sd = cfg.rdma.limits;
  const bindOnly = !(o.bindAddresses.length === 1 && o.bindAddresses[0] === '0.0.0.0');
  return [
    ['netbios name', o.serverName],
    ['workgroup', o.workgroup],
    ['tcp port', String(o.tcpPort)],
    ['rdma port', cfg.rdma.auto ? 'auto' : String(o.rdmaPort)],
    ['rdma zero copy', yesNo(cfg.rdma.zeroCopy)],
    ['smb direct max send size', formatSize(sd.maxSendSize)],
    ['smb direct max receive size', formatSize(sd.maxReceiveSize)],
    ['smb direct max fragmented size', formatSize(sd.maxFragmentedSize)],
    ['smb direct receive credits', String(sd.receiveCreditMax)],
    ['smb direct send credit target', String(sd.sendCreditTarget)],
    ['smb direct keepalive interval', String(sd.keepaliveMs / 1000)],
    ['smb direct idle timeout', String(sd.idleTimeoutMs / 1000)],
    ['server min protocol', dialectName(o.minDialect)],
    ['server max protocol', dialectName(o.maxDialect)],
    ['server signing', o.signing],
    ['smbd max io size', formatSize(o.maxIoSize)],
    ['cache size', formatSize(o.cacheBytes)],
    ['write cache', o.writeBehind ? 'behind' : 'through'],
    ['interfaces', o.interfaces.map(formatInterface).join(' ')],
    ['bind interfaces only', yesNo(bindOnly)],
    ['metrics address', formatHostPort(cfg.metricsAddress)],
    ['users file', cfg.usersFile ?? ''],
    ['map to guest', cfg.mapToGuest],
    ['log level', cfg.logLevel],
    ['log format', cfg.logFormat],
    ['max connections', String(l.maxConnections)],
    ['max connections per address', String(l.maxConnectionsPerAddress)],
    ['deadtime', String(l.idleTimeoutMs / 60_000)],
    ['frame timeout', String(l.frameTimeoutMs / 1000)],
    ['max preauth frame size', formatSize(l.maxPreauthMessageBytes)],
    ['max request bytes per connection', formatSize(l.maxRequestBytesPerConnection)],
    ['max read bytes per connection', formatSize(l.maxReadBytesPerConnection)],
    ['max read bytes', formatSize(l.maxReadBytes)],
    ['user', cfg.runAsUser],
  ];
}

function shareLines(s: ShareConfig): Array<[string, string]> {
  return [
    ['path', s.path],
    ['comment', s.comment],
    ['read only', yesNo(s.readOnly)],
    ['guest ok', yesNo(s.guestOk)],
    ['browseable', yesNo(s.browseable)],
    ['valid users', s.validUsers.join(', ')],
  ];
}

function section(name: string, lines: Array<[string, string]>): string {
  const body = lines.filter(([, v]) => v !== '').map(([k, v]) => `\t${k} = ${v}`);
  return [`[${name}]`, ...body].join('\n');
}

export function formatConfig(cfg: SplicedConfig): string {
  const parts = [`# Global parameters (from ${cfg.source})`, section('global', globalLines(cfg))];
  for (const share of cfg.options.shares) parts.push('', section(share.name, shareLines(share)));
  return parts.join('\n') + '\n';
}
