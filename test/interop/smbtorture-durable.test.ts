// smbtorture's durable-handle suites against the in-process fixture server, judged per subtest:
// every subtest Samba 4.17 passes on this machine as an authenticated user must pass here too.
// Samba fails durable-open.delete_on_close2 and durable-v2-open.app-instance here as well
// (a delete-on-close durable open is closed, not kept; AppInstanceId is not implemented).
import { smbtortureTests } from '../support/smbtorture-suites.js';

smbtortureTests(['smb2.durable-open', 'smb2.durable-v2-open'], { allowFail: ['delete_on_close2', 'app-instance'], timeoutMs: 120_000 });
