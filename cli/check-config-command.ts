/**
 * `spliced check-config [FILE]`, testparm-style: parse and validate, report warnings
 * on stderr, print the effective configuration on stdout. Errors throw (exit 1).
 */
import { defaultConfig, loadConfig } from '../ops/config.js';
import { formatConfig } from '../ops/config-print.js';

export function checkConfig(file: string | undefined): void {
  process.stderr.write(`Load spliced config from ${file ?? '(embedded default)'}\n`);
  const cfg = file ? loadConfig(file) : defaultConfig();
  for (const w of cfg.warnings) process.stderr.write(`WARNING: ${w}\n`);
  process.stderr.write(`Loaded config file OK: ${cfg.options.shares.length} share(s).\n\n`);
  process.stdout.write(formatConfig(cfg));
}
