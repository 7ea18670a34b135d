/**
 * A fuzzing campaign: cases (connections) of generated inputs against one in-process server,
 * restarted every so many cases and after every finding. A finding's first occurrence per
 * signature is replayed on a fresh server to confirm it, shrunk, and saved to the corpus.
 */
import { commandName } from '../../../smb2/constants.js';
import { Rng } from './rng.js';
import { DEFAULT_GENERATOR, type FuzzInput, type GeneratorOptions, type Phase } from './generator.js';
import { runCase, DEFAULT_BOUNDS, type Bounds, type Finding, type FindingKind, type CaseResult } from './runner.js';
import { startTarget, type Target } from './target.js';
import { StallMonitor } from './probes.js';
import { commandsOf } from './frame.js';
import { recordInputs, saveEntry } from './corpus.js';
import { shrink } from './shrink.js';
import { describeInputs } from './describe.js';

export interface CampaignOptions {
  seed: number;
  inputs: number;
  /** Inputs per post-authentication connection. */
  batch: number;
  /** Post-auth inputs sent back to back before their answers are awaited. */
  window: number;
  /** Share of cases that stay before authentication. */
  preRatio: number;
  /** Restart the server after this many cases. */
  restartEvery: number;
  bounds: Bounds;
  /** Where to save confirmed findings; null saves nothing. */
  corpusDir: string | null;
  /** After this many stalls, stop generating offsets and sizes >= 2^32 (the known stall of issue 9 finding 4 would eat the run). */
  saturateStallsAfter: number;
  /** Stop after this many seconds even if fewer inputs ran (0: no limit). */
  maxSeconds: number;
  /** Confirm and save at most this many distinct signatures per kind. */
  maxSignaturesPerKind: number;
  progressMs: number;
  log: (line: string) => void;
}

export const DEFAULT_CAMPAIGN: Omit<CampaignOptions, 'log'> = {
  seed: 1, inputs: 1_000_000, batch: 64, window: 8, preRatio: 0.2, restartEvery: 300, bounds: DEFAULT_BOUNDS, corpusDir: null,
  saturateStallsAfter: 3, maxSignaturesPerKind: 2, maxSeconds: 0, progressMs: 10_000,
};

export interface SignatureReport {
  signature: string;
  kind: FindingKind;
  count: number;
  confirmed: boolean;
  detail: string;
  file?: string;
}

export interface CampaignSummary {
  inputs: number;
  cases: number;
  seconds: number;
  inputsPerSecond: number;
  findings: SignatureReport[];
  giantValuesDisabled: boolean;
  /** Server shutdowns that did not finish (server.close() waits on pinned pages after a leak). */
  shutdownTimeouts: number;
  /** Time spent confirming and shrinking findings (not counted as fuzzing throughput). */
  replaySeconds: number;
  memory: { rssStartMb: number; rssPeakMb: number; rssEndMb: number; heapStartMb: number; heapEndMb: number };
}

/** Stalls this long count toward giving up far offsets; shorter ones are often a loaded machine. */
const SATURATING_STALL_MS = 500;

const mb = (n: number): number => Math.round(n / 1048576);

function signatureOf(f: Finding, inputs: FuzzInput[]): string {
  const input = inputs[f.input];
  if (!input) return `${f.kind}:setup`;
  if (input.raw) return `${f.kind}:raw`;
  const commands = commandsOf(input.bytes).map(commandName);
  return `${f.kind}:${commands.slice(0, 4).join('+') || 'none'}`;
}

class Campaign {
  private readonly gen: GeneratorOptions = { ...DEFAULT_GENERATOR };
  private readonly signatures = new Map<string, SignatureReport>();
  private readonly monitor = new StallMonitor();
  private target!: Target;
  private sent = 0;
  private cases = 0;
  private stalls = 0;
  private shutdownTimeouts = 0;
  private replaySeconds = 0;
  private rssPeak = 0;

  constructor(private readonly o: CampaignOptions) {}

  async run(): Promise<CampaignSummary> {
    const started = Date.now();
    const memStart = process.memoryUsage();
    const master = new Rng(this.o.seed);
    this.target = await startTarget();
    let lastProgress = Date.now();
    const deadline = this.o.maxSeconds > 0 ? started + this.o.maxSeconds * 1000 : Infinity;
    while (this.sent < this.o.inputs && Date.now() < deadline) {
      const rng = master.fork();
      const phase: Phase = rng.chance(this.o.preRatio) ? 'pre' : 'post';
      const count = Math.min(phase === 'pre' ? 1 + rng.int(6) : this.o.batch, this.o.inputs - this.sent);
      const spec = { phase, window: this.o.window, scratchName: `scratch\\s${this.cases}.dat`, source: { kind: 'generate' as const, rng, count, options: this.gen } };
      await this.target.restoreFixtures();
      const result = await runCase(this.target, spec, this.o.bounds, this.monitor);
      this.sent += Math.max(1, result.inputs.length);
      this.cases++;
      const recordStarted = Date.now();
      for (const f of result.findings) await this.record(f, result, phase, spec.scratchName);
      this.replaySeconds += (Date.now() - recordStarted) / 1000;
      // After any finding the server restarts: leaked pins would otherwise slow every later case (pressure waits).
      if (result.findings.length || this.cases % this.o.restartEvery === 0) await this.restart();
      this.rssPeak = Math.max(this.rssPeak, process.memoryUsage().rss);
      if (Date.now() - lastProgress >= this.o.progressMs) {
        lastProgress = Date.now();
        this.progress(started);
      }
    }
    if (!(await this.target.close())) this.shutdownTimeouts++;
    this.monitor.stop();
    const seconds = (Date.now() - started) / 1000;
    const memEnd = process.memoryUsage();
    return {
      inputs: this.sent,
      cases: this.cases,
      seconds,
      inputsPerSecond: Math.round(this.sent / Math.max(0.001, seconds - this.replaySeconds)),
      findings: [...this.signatures.values()],
      giantValuesDisabled: !this.gen.giantValues,
      shutdownTimeouts: this.shutdownTimeouts,
      replaySeconds: Math.round(this.replaySeconds),
      memory: { rssStartMb: mb(memStart.rss), rssPeakMb: mb(this.rssPeak), rssEndMb: mb(memEnd.rss), heapStartMb: mb(memStart.heapUsed), heapEndMb: mb(memEnd.heapUsed) },
    };
  }

  private progress(started: number): void {
    const s = (Date.now() - started) / 1000;
    const found = [...this.signatures.values()].map((r) => `${r.signature}×${r.count}`).join(' ');
    this.o.log(`[fuzz] ${this.sent} inputs, ${this.cases} cases, ${Math.round(this.sent / s)}/s, rss ${mb(process.memoryUsage().rss)} MB${found ? `, found ${found}` : ''}`);
  }

  private saturate(): void {
    if (++this.stalls < this.o.saturateStallsAfter || !this.gen.giantValues) return;
    this.gen.giantValues = false;
    this.o.log(`[fuzz] ${this.stalls} stalls: no more offsets or sizes >= 2^32 from now on`);
  }

  private async restart(): Promise<void> {
    if (!(await this.target.close())) this.shutdownTimeouts++;
    this.target = await startTarget();
  }

  private async record(f: Finding, result: CaseResult, phase: Phase, scratchName: string): Promise<void> {
    const signature = signatureOf(f, result.inputs);
    const known = this.signatures.get(signature);
    if (f.kind === 'stall' && (f.ms ?? 0) >= SATURATING_STALL_MS) this.saturate();
    if (known) {
      known.count++;
      return;
    }
    const report: SignatureReport = { signature, kind: f.kind, count: 1, confirmed: false, detail: f.detail };
    this.signatures.set(signature, report);
    this.o.log(`[fuzz] new ${signature} in case ${this.cases}: ${f.detail.split('\n')[0]}`);
    const sameKind = [...this.signatures.values()].filter((r) => r.kind === f.kind && (r.confirmed || r.detail.endsWith('server)'))).length;
    if (sameKind >= this.o.maxSignaturesPerKind || f.input < 0) {
      report.detail += ' (not replayed: enough of this kind)';
      return;
    }
    const inputs = await shrink({ kind: f.kind, phase, scratchName, window: this.o.window, inputs: result.inputs.slice(0, f.input + 1), bounds: this.o.bounds, monitor: this.monitor });
    if (!inputs) {
      report.detail += ' (did not reproduce on a fresh server)';
      this.o.log(`[fuzz]   ${signature} did not reproduce on a fresh server (load?); counted, not saved`);
      return;
    }
    report.confirmed = true;
    if (this.o.corpusDir) {
      report.file = await saveEntry(this.o.corpusDir, {
        kind: f.kind, signature, detail: f.detail.split('\n')[0], phase, scratchName, window: this.o.window, found: { seed: this.o.seed, case: this.cases - 1 }, shape: describeInputs(inputs), inputs: recordInputs(inputs),
      });
      this.o.log(`[fuzz]   saved ${inputs.length} input(s) to ${report.file}`);
    }
  }
}

export function runCampaign(o: CampaignOptions): Promise<CampaignSummary> {
  return new Campaign(o).run();
}
