/**
 * Counters and histograms for the per-request path. prom-client validates and hashes a label
 * object on every inc() and observe() (a string built and looked up per call, several µs of an
 * SMB2 request that takes tens); here a series is an index into a Float64Array, picked from
 * fixed label sets, and the exposition is built when Prometheus scrapes. They register in a
 * prom-client Registry and print exactly as its Counter and Histogram do.
 */
import type { Metric, Registry } from 'prom-client';

type LabelSets = readonly (readonly string[])[];

interface MetricOptions {
  name: string;
  help: string;
  /** Label names, each with its closed set of values: a series is one value of each. */
  labels: ReadonlyArray<readonly [name: string, values: readonly string[]]>;
  registers: Registry[];
}

interface SeriesValue {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

abstract class IndexedMetric {
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  private readonly labelNames: readonly string[];
  private readonly labelValues: LabelSets;
  /** Series that print: touched, or zeroed so the first scrape shows them. */
  protected readonly present: Uint8Array;

  constructor(options: MetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labels.map(([name]) => name);
    this.labelValues = options.labels.map(([, values]) => values);
    this.present = new Uint8Array(this.labelValues.reduce((n, values) => n * values.length, 1));
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one value index per label, in the order the labels were declared. */
  series(...valueIndexes: number[]): number {
    let series = 0;
    for (let k = 0; k < valueIndexes.length; k++) series = series * this.labelValues[k].length + valueIndexes[k];
    return series;
  }

  /** The index of `value` in the label's set; `fallback` (a value of the set) for anything else. */
  valueIndex(label: number, value: string, fallback: string): number {
    const at = this.labelValues[label].indexOf(value);
    return at >= 0 ? at : this.labelValues[label].indexOf(fallback);
  }

  zero(series: number): void {
    this.present[series] = 1;
  }

  protected labelsOf(series: number): Record<string, string> {
    const picked: string[] = [];
    for (let k = this.labelNames.length - 1; k >= 0; k--) {
      const values = this.labelValues[k];
      picked[k] = values[series % values.length];
      series = Math.floor(series / values.length);
    }
    return Object.fromEntries(this.labelNames.map((name, k) => [name, picked[k]]));
  }

  protected presentSeries(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.present.length; s++) if (this.present[s]) out.push(s);
    return out;
  }

  abstract reset(): void;
  abstract values(): SeriesValue[];

  /** What prom-client's Registry reads at scrape time. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SeriesValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

export class IndexedCounter extends IndexedMetric {
  readonly type = 'counter';
  private readonly totals: Float64Array;

  constructor(options: MetricOptions) {
    super(options);
    this.totals = new Float64Array(this.present.length);
  }

  inc(series: number, amount = 1): void {
    this.totals[series] += amount;
    this.present[series] = 1;
  }

  reset(): void {
    this.totals.fill(0);
    this.present.fill(0);
  }

  values(): SeriesValue[] {
    return this.presentSeries().map((s) => ({ value: this.totals[s], labels: this.labelsOf(s) }));
  }
}

export class IndexedHistogram extends IndexedMetric {
  readonly type = 'histogram';
  private readonly upperBounds: readonly number[];
  /** Per series: one count per bucket (not cumulative), then +Inf. */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;

  constructor(options: MetricOptions & { buckets: readonly number[] }) {
    super(options);
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
    this.counts = new Float64Array(this.present.length * (this.upperBounds.length + 1));
    this.sums = new Float64Array(this.present.length);
  }

  observe(series: number, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite value: ${value}`);
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.counts[series * (bounds.length + 1) + bucket]++;
    this.sums[series] += value;
    this.present[series] = 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sums.fill(0);
    this.present.fill(0);
  }

  values(): SeriesValue[] {
    const out: SeriesValue[] = [];
    const width = this.upperBounds.length + 1;
    for (const s of this.presentSeries()) {
      const labels = this.labelsOf(s);
      let cumulative = 0;
      for (let b = 0; b < width; b++) {
        cumulative += this.counts[s * width + b];
        const le = b < this.upperBounds.length ? this.upperBounds[b] : '+Inf';
        out.push({ value: cumulative, labels: { le: String(le), ...labels }, metricName: `${this.name}_bucket` });
      }
      out.push({ value: this.sums[s], labels, metricName: `${this.name}_sum` });
      out.push({ value: cumulative, labels, metricName: `${this.name}_count` });
    }
    return out;
  }
}
