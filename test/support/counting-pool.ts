import { ReceivePool } from '../../server/receive-pool.js';

/** A receive pool that counts the blocks it hands out and gets back. */
export function countingPool(blockBytes: number): ReceivePool & { taken: number; given: number } {
  const pool = new ReceivePool(blockBytes, 64) as ReceivePool & { taken: number; given: number };
  pool.taken = 0;
  pool.given = 0;
  const take = pool.take.bind(pool);
  const give = pool.give.bind(pool);
  pool.take = () => (pool.taken++, take());
  pool.give = (b) => (pool.given++, give(b));
  return pool;
}
