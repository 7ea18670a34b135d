// Loads every guest test module into one node process (node's cold start is ~2.5 s in the
// emulated guest, so one process per file would dominate the suite's time).
import './device.guest.js';
import './connection.guest.js';
import './lifecycle.guest.js';
import './smbdirect.guest.js';
import './smbdirect-pages.guest.js';
import './smbdirect-keepalive.guest.js';
import './smbdirect-write.guest.js';
