/**
 * A load generator run as its own process by the benchmark (so its CPU is not the server's):
 * spliced's client over TCP, `--connections` sessions, each keeping `--depth` requests in flight,
 * for `--seconds`. Prints one JSON line: {"ops": N, "seconds": S, "clientCpu": C}.
 *
 *   read4k / write4k  random 4 KiB-aligned READs / WRITEs of `--file` (which must exist and be
 *                     at least `--file-mib` MiB), with queue depth `--depth` per connection;
 *   openclose         CREATE + CLOSE of `--file` (shared access), as smbtorture's
 *                     smb2.bench.path-contention-shared does (one op = one open plus its close).
 *
 *   node --import tsx test/bench/lib/io-driver.ts --port P --op read4k --file f.bin --file-mib 256 --depth 32 --seconds 5
 */
import { parseArgs } from 'node:util';
import { randomFillSync } from 'node:crypto';
import { Smb2Client, type Tree } from '../../../client/index.js';
import { Access, CreateDisposition, ShareAccess } from '../../../client/smb2-client.js';
import type { FileId } from '../../../smb2/commands/create.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    op: { type: 'string', default: 'read4k' },
    file: { type: 'string', default: 'random.bin' },
    'file-mib': { type: 'string', default: '256' },
    depth: { type: 'string', default: '1' },
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '5' },
  },
});
const IO_SIZE = 4096;
const op = values.op!;
const depth = Number(values.depth);
const blocks = Math.floor((Number(values['file-mib']) * 1024 * 1024) / IO_SIZE);

async function session(): Promise<Tree> {
  const client = await Smb2Client.connect({ port: Number(values.port) });
  await client.login({ user: 'nobody', password: 'x' }); // a bad user: both servers map it to guest
  return client.treeConnect('bench');
}

async function openFile(tree: Tree): Promise<FileId> {
  const access = op === 'write4k' ? Access.GENERIC_READ | Access.GENERIC_WRITE : Access.GENERIC_READ;
  const r = await tree.create(values.file!, {
    desiredAccess: access >>> 0,
    shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE,
    disposition: CreateDisposition.OPEN,
  });
  return r.fileId;
}

/** One loop keeping one request in flight until `deadline`; returns the operations done. */
async function loop(tree: Tree, fileId: FileId, deadline: number): Promise<number> {
  const data = randomFillSync(Buffer.alloc(IO_SIZE));
  let ops = 0;
  while (performance.now() < deadline) {
    const offset = Math.floor(Math.random() * blocks) * IO_SIZE;
    if (op === 'read4k') {
      if ((await tree.read(fileId, offset, IO_SIZE)).length !== IO_SIZE) throw new Error(`short read at ${offset}`);
    } else if (op === 'write4k') {
      if ((await tree.write(fileId, offset, data)) !== IO_SIZE) throw new Error(`short write at ${offset}`);
    } else {
      const r = await tree.create(values.file!, { shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE });
      await tree.close(r.fileId);
    }
    ops++;
  }
  return ops;
}

async function main(): Promise<void> {
  if (!['read4k', 'write4k', 'openclose'].includes(op)) throw new Error(`--op must be read4k, write4k or openclose, not ${op}`);
  const trees = await Promise.all(Array.from({ length: Number(values.connections) }, session));
  const fileIds = await Promise.all(trees.map(openFile));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + Number(values.seconds) * 1000;
  const counts = await Promise.all(trees.flatMap((tree, i) => Array.from({ length: depth }, () => loop(tree, fileIds[i], deadline))));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const [i, tree] of trees.entries()) {
    await tree.close(fileIds[i]);
    await tree.client.logoff();
  }
  const ops = counts.reduce((a, b) => a + b, 0);
  process.stdout.write(`${JSON.stringify({ ops, seconds, clientCpu: (cpu.user + cpu.system) / 1e6 })}\n`);
  process.exit(0);
}

await main();
