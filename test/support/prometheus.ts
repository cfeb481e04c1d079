/**
 * Reading the proxy's metrics in tests: Prometheus' own checker (`promtool check metrics`,
 * from Debian's `prometheus` package) for the format, and a small sample reader for the values.
 */
import { spawnSync } from 'node:child_process'

/** One sample line: `name{label="value",…} number`. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Runs `promtool check metrics` on the text; returns its exit status and everything it printed. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 })
  if (result.error) throw new Error(`promtool is not runnable (apt-get install prometheus): ${result.error.message}`)
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

/** Every sample of the text, labels unescaped. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    const pairs = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
    for (let pair = pairs.exec(match[2] ?? ''); pair; pair = pairs.exec(match[2] ?? '')) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The value of the one sample with this name and (at least) these labels; 0 when absent. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value ?? 0
}

/**
 * Scrapes `metricsUrl` until no request is in flight (the server counts a request once its
 * response has closed, which can be a moment after the client read it): at most 250 tries.
 */
export async function scrapeSettled(metricsUrl: string): Promise<{ text: string; samples: Sample[] }> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${metricsUrl}/metrics`)
    const text = await response.text()
    if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`)
    const samples = parseSamples(text)
    if (sampleValue(samples, 'clerk_proxy_requests_in_flight') === 0 || attempt === 250) return { text, samples }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
