// Prometheus' HTTP query API (the run's own server, SURGE_PROM): the same queries as KEDA's scaler.
const PROM = process.env['SURGE_PROM'] ?? 'http://127.0.0.1:9590';

export interface Series {
  labels: Record<string, string>;
  /** [epoch seconds, value] */
  points: Array<[number, number]>;
}

async function get(path: string, params: Record<string, string>): Promise<unknown> {
  const res = await fetch(`${PROM}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; data?: { result: unknown }; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus ${params['query']}: ${body.error ?? res.status}`);
  return body.data?.result;
}

/** An instant query: the first series' value (null when empty). */
export async function instant(query: string): Promise<number | null> {
  const result = (await get('/api/v1/query', { query })) as Array<{ value: [number, string] }>;
  return result.length > 0 ? Number(result[0]!.value[1]) : null;
}

/** A range query over [from, to] (epoch ms), one point per `stepS` seconds. */
export async function range(query: string, from: number, to: number, stepS = 1): Promise<Series[]> {
  const result = (await get('/api/v1/query_range', {
    query,
    start: String(from / 1000),
    end: String(to / 1000),
    step: String(stepS),
  })) as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
  return result.map((r) => ({ labels: r.metric, points: r.values.map(([t, v]) => [t, Number(v)]) }));
}
