/**
 * Getting a password for `spliced user add`: the flag, else a no-echo prompt on a
 * terminal (asked twice, like ksmbd.adduser), else the first line of stdin.
 */
import { ERROR_CODES, SplicedError } from '../ops/errors.js';

/** Read one line from a raw-mode terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  stdin.setRawMode(true); // before the question: what is typed once it shows must not echo
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new SplicedError(ERROR_CODES.CLI_PASSWORD, 'password entry cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function obtainPassword(flag: string | undefined, user: string): Promise<string> {
  let password = flag;
  if (password === undefined && process.stdin.isTTY) {
    password = await promptHidden(`New password for ${user}: `);
    const again = await promptHidden('Retype new password: ');
    if (again !== password) throw new SplicedError(ERROR_CODES.CLI_PASSWORD, 'passwords do not match');
  } else if (password === undefined) {
    password = await readStdinLine();
  }
  if (password === '') throw new SplicedError(ERROR_CODES.CLI_PASSWORD, 'empty password (give --password, type one, or pipe one on stdin)');
  return password;
}
