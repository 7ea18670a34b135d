import { descriptorPath, errnoCode } from './share-root.js';

/**
 * An fchmod/fchown/futimes-style call on a handle's descriptor. A handle kept as O_PATH (a file the
 * server may not read) does not take them (EBADF): then the path form on its /proc descriptor
 * link, which names the same inode.
 */
export async function onDescriptor(fd: number, viaFd: (fd: number) => Promise<void>, viaPath: (p: string) => Promise<void>): Promise<void> {
  try {
    await viaFd(fd);
  } catch (err) {
    if (errnoCode(err) !== 'EBADF') throw err;
    await viaPath(descriptorPath(fd));
  }
}
