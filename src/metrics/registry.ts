/**
 * A small metrics registry written in Prometheus' text exposition format (version 0.0.4).
 * Ours rather than `prom-client`: the core runs on Bun, Deno and edge runtimes with no Node
 * globals, and the Node cluster mode needs snapshots it can add up across workers; the format
 * itself is a few lines (`promtool check metrics` checks the output in the test suite).
 *
 * Label values are fixed by the code that records them (route groups, status classes, known
 * methods and error codes): nothing a client sends becomes a label.
 */

/** The three metric types the proxy needs. */
export type MetricType = 'counter' | 'gauge' | 'histogram'

/** One labelled series of a family, as plain data (sent between workers as JSON). */
export interface SeriesSnapshot {
  /** Label values, in the order of the family's `labelNames`. */
  readonly labels: readonly string[]
  /** Counter or gauge value. */
  readonly value?: number
  /** Histogram: observations per bucket (not cumulative), the last one for `+Inf`. */
  readonly buckets?: readonly number[]
  /** Histogram: sum of the observed values. */
  readonly sum?: number
}

/** One metric family as plain data. */
export interface FamilySnapshot {
  readonly name: string
  readonly help: string
  readonly type: MetricType
  readonly labelNames: readonly string[]
  /** Histogram upper bounds, ascending, without `+Inf`. */
  readonly bounds?: readonly number[]
  /** How the family adds up across processes: `sum` (default) or the smallest value (`min`). */
  readonly across?: 'sum' | 'min'
  readonly series: readonly SeriesSnapshot[]
}

interface FamilyDefinition {
  readonly name: string
  readonly help: string
  readonly labelNames?: readonly string[]
  readonly across?: 'sum' | 'min'
}

interface MutableSeries {
  readonly labels: readonly string[]
  value: number
  buckets: number[]
  sum: number
}

/** A family of series keyed by their label values. */
abstract class Family {
  protected readonly series: Map<string, MutableSeries> = new Map()

  constructor(
    readonly definition: FamilyDefinition,
    readonly type: MetricType,
    protected readonly bounds: readonly number[] = [],
  ) {}

  /** The series for these label values, created on first use. */
  protected at(labels: readonly string[]): MutableSeries {
    const key = labels.length === 1 ? labels[0]! : labels.join('\u0000')
    let series = this.series.get(key)
    if (!series) {
      series = { labels: [...labels], value: 0, buckets: this.type === 'histogram' ? new Array<number>(this.bounds.length + 1).fill(0) : [], sum: 0 }
      this.series.set(key, series)
    }
    return series
  }

  /** The family as plain data. */
  snapshot(): FamilySnapshot {
    const { name, help, labelNames = [], across } = this.definition
    const series = [...this.series.values()].map((s): SeriesSnapshot =>
      this.type === 'histogram' ? { labels: s.labels, buckets: [...s.buckets], sum: s.sum } : { labels: s.labels, value: s.value },
    )
    return { name, help, type: this.type, labelNames, ...(this.type === 'histogram' ? { bounds: this.bounds } : {}), ...(across ? { across } : {}), series }
  }
}

/** A value that only goes up. */
export class Counter extends Family {
  constructor(definition: FamilyDefinition) {
    super(definition, 'counter')
  }

  /** Adds `by` (default 1) to the series with these label values. */
  inc(labels: readonly string[] = [], by = 1): void {
    this.at(labels).value += by
  }
}

/** A value that goes up and down. */
export class Gauge extends Family {
  constructor(definition: FamilyDefinition) {
    super(definition, 'gauge')
  }

  /** Sets the series with these label values. */
  set(labels: readonly string[], value: number): void {
    this.at(labels).value = value
  }

  /** Adds `by` (may be negative) to the series with these label values. */
  add(labels: readonly string[], by: number): void {
    this.at(labels).value += by
  }
}

/** Observations counted into buckets, with their sum. */
export class Histogram extends Family {
  constructor(definition: FamilyDefinition, bounds: readonly number[]) {
    super(definition, 'histogram', bounds)
  }

  /** Records one observation in the series with these label values. */
  observe(labels: readonly string[], value: number): void {
    const series = this.at(labels)
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    series.buckets[i]!++
    series.sum += value
  }
}

/** The families of one process, plus callbacks that refresh gauges just before a scrape. */
export class Registry {
  private readonly families: Family[] = []
  private readonly collectors: (() => void)[] = []

  /** Registers a counter. */
  counter(definition: FamilyDefinition): Counter {
    return this.add(new Counter(definition))
  }

  /** Registers a gauge. */
  gauge(definition: FamilyDefinition): Gauge {
    return this.add(new Gauge(definition))
  }

  /** Registers a histogram with these bucket upper bounds. */
  histogram(definition: FamilyDefinition, bounds: readonly number[]): Histogram {
    return this.add(new Histogram(definition, bounds))
  }

  /** Runs `collect` before every snapshot (gauges read from elsewhere: in-flight, memory). */
  beforeSnapshot(collect: () => void): void {
    this.collectors.push(collect)
  }

  /** Every family as plain data. */
  snapshot(): FamilySnapshot[] {
    for (const collect of this.collectors) collect()
    return this.families.map((family) => family.snapshot())
  }

  private add<F extends Family>(family: F): F {
    this.families.push(family)
    return family
  }
}

/**
 * Adds up snapshots from several processes (cluster workers) family by family and series by
 * series: values, bucket counts and sums are added, or the smallest kept for `across: 'min'`.
 *
 * @example
 * const total = mergeSnapshots([worker1Snapshot, worker2Snapshot])
 */
export function mergeSnapshots(snapshots: readonly (readonly FamilySnapshot[])[]): FamilySnapshot[] {
  const merged = new Map<string, { family: FamilySnapshot; series: Map<string, SeriesSnapshot> }>()
  for (const snapshot of snapshots) {
    for (const family of snapshot) {
      let entry = merged.get(family.name)
      if (!entry) merged.set(family.name, (entry = { family, series: new Map() }))
      for (const series of family.series) {
        const key = series.labels.join('\u0000')
        const earlier = entry.series.get(key)
        entry.series.set(key, earlier ? addSeries(earlier, series, family.across ?? 'sum') : series)
      }
    }
  }
  return [...merged.values()].map(({ family, series }) => ({ ...family, series: [...series.values()] }))
}

function addSeries(a: SeriesSnapshot, b: SeriesSnapshot, across: 'sum' | 'min'): SeriesSnapshot {
  if (a.buckets && b.buckets) return { labels: a.labels, buckets: a.buckets.map((n, i) => n + (b.buckets![i] ?? 0)), sum: (a.sum ?? 0) + (b.sum ?? 0) }
  const value = across === 'min' ? Math.min(a.value ?? 0, b.value ?? 0) : (a.value ?? 0) + (b.value ?? 0)
  return { labels: a.labels, value }
}

/** The `Content-Type` of the text exposition format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * Writes snapshots in Prometheus' text exposition format.
 *
 * @example
 * new Response(renderExposition(registry.snapshot()), { headers: { 'content-type': EXPOSITION_CONTENT_TYPE } })
 */
export function renderExposition(families: readonly FamilySnapshot[]): string {
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`)
    for (const series of family.series) {
      const pairs = family.labelNames.map((name, i) => `${name}="${escapeLabelValue(series.labels[i] ?? '')}"`)
      if (family.type !== 'histogram') {
        lines.push(`${family.name}${braces(pairs)} ${formatNumber(series.value ?? 0)}`)
        continue
      }
      const bounds = family.bounds ?? []
      let cumulative = 0
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += series.buckets?.[i] ?? 0
        const le = i < bounds.length ? formatNumber(bounds[i]!) : '+Inf'
        lines.push(`${family.name}_bucket${braces([...pairs, `le="${le}"`])} ${cumulative}`)
      }
      lines.push(`${family.name}_sum${braces(pairs)} ${formatNumber(series.sum ?? 0)}`, `${family.name}_count${braces(pairs)} ${cumulative}`)
    }
  }
  return lines.join('\n') + '\n'
}

function braces(pairs: readonly string[]): string {
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}
