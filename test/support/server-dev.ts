// Manual testing aid: `PORT=14450 LOG=debug node --import tsx test/support/server-dev.ts`
// starts the fixture server (shares 'share', 'ro', 'private'; user alice) and prints its port.
import pino from 'pino';
import { startServer } from './server-fixture.js';

async function main(): Promise<void> {
  const log = pino({ level: process.env.LOG ?? 'info' });
  const f = await startServer({ tcpPort: Number(process.env.PORT ?? 0) }, { log });
  console.log(`PORT ${f.port} DIR ${f.dir} RO ${f.roDir}`);
}

void main();
