import { button, h, input, json } from '../dom.js';
import { barChart } from '../chart.js';
import { bucketCounts, ms, parseHistogram, quantileBound } from '../metrics.js';
import { load, section, table, type Page, type PageContext } from '../page.js';
import { may } from '../session.js';

interface TierStats {
  enabled: boolean;
  hits?: number;
  misses?: number;
  hitRatio?: number;
  entries?: number;
  bytes?: number;
  keys?: number | null;
  reachable?: boolean;
}

interface ConsumerReport {
  groupId: string;
  state: string;
  totalLag: number;
  members: Array<{ memberId: string; clientId: string; host: string; partitions: number[] }>;
  partitions: Array<{
    partition: number;
    committedOffset: string | null;
    endOffset: string;
    lag: number;
  }>;
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`;
}

export function operationsPage({ session }: PageContext): Page {
  const { api } = session;
  const admin = may(session, 'admin');
  const health = h('div', {});
  const consumers = h('div', {});
  const cache = h('div', {});
  const latency = h('div', {});
  const consistency = h('div', { 'aria-live': 'polite' });
  const denied = (what: string) =>
    h('p', { class: 'muted', title: admin === true ? '' : admin }, `${what} needs an admin token.`);

  const showHealth = () =>
    load(health, async () => {
      // Readiness answers 503 with the same body when something is down.
      const response = await api.plain('/admin/health/ready');
      const body = (await response.json()) as { status: string; checks: Record<string, string> };
      return [
        h('p', {}, `API readiness: ${body.status}`),
        h(
          'ul',
          { class: 'checks' },
          Object.entries(body.checks).map(([name, state]) =>
            h('li', { class: state === 'up' ? 'up' : 'down' }, `${name}: ${state}`),
          ),
        ),
      ];
    });

  const showConsumers = () =>
    admin === true
      ? load(consumers, async () => {
          const report = await api.get<ConsumerReport>('/admin/consumers');
          return [
            h('p', {}, `Group ${report.groupId} (${report.state}): total lag ${report.totalLag}`),
            table(
              ['Partition', 'Committed', 'End', 'Lag'],
              report.partitions.map((p) => [
                String(p.partition),
                p.committedOffset ?? '—',
                p.endOffset,
                String(p.lag),
              ]),
              'Lag per partition',
            ),
            table(
              ['Member', 'Host', 'Partitions'],
              report.members.map((m) => [m.clientId, m.host, m.partitions.join(', ')]),
              'Members',
            ),
          ];
        })
      : Promise.resolve(consumers.replaceChildren(denied('Consumer lag')));

  const showCache = () =>
    admin === true
      ? load(cache, async () => {
          const stats = await api.get<{
            l1: TierStats;
            l2: TierStats;
            db: Record<string, unknown>;
          }>('/admin/cache/stats');
          const row = (name: string, tier: TierStats, size: string) => [
            name,
            tier.enabled ? 'on' : 'off',
            percent(tier.hitRatio),
            `${tier.hits ?? 0} / ${tier.misses ?? 0}`,
            size,
          ];
          return [
            table(
              ['Tier', 'State', 'Hit ratio', 'Hits / misses', 'Size'],
              [
                row(
                  'L1 memory',
                  stats.l1,
                  `${stats.l1.entries ?? 0} entries, ${stats.l1.bytes ?? 0} bytes`,
                ),
                row('L2 Redis', stats.l2, `${stats.l2.keys ?? '—'} keys`),
              ],
              'Cache per tier',
            ),
            h('p', { class: 'muted' }, `PostgreSQL: ${json(stats.db)}`),
          ];
        })
      : Promise.resolve(cache.replaceChildren(denied('Cache statistics')));

  const showLatency = () =>
    admin === true
      ? load(latency, async () => {
          const text = await api.get<string>('/metrics');
          const histogram = parseHistogram(text, 'warden_propagation_delay_seconds');
          if (!histogram || histogram.count === 0) {
            return h(
              'p',
              { class: 'muted' },
              'No change has propagated through this API instance yet.',
            );
          }
          const p50 = quantileBound(histogram, 0.5);
          const p95 = quantileBound(histogram, 0.95);
          return [
            h(
              'p',
              {},
              `${histogram.count} changes; mean ${ms(histogram.sum / histogram.count)}; ` +
                `half within ${p50 === undefined ? '—' : ms(p50)}, 95 % within ${p95 === undefined ? '—' : ms(p95)}.`,
            ),
            barChart(bucketCounts(histogram), 'Propagation delay: changes per bucket'),
          ];
        })
      : Promise.resolve(latency.replaceChildren(denied('The propagation chart')));

  const sample = input({ type: 'number', min: 1, placeholder: 'all' });
  sample.id = 'consistency-sample';
  const runAuditor = () =>
    load(consistency, async () => {
      const n = sample.value.trim();
      const report = await api.get<{
        checked: number;
        stale: number;
        missing: number;
        staleKeys: string[];
      }>(`/admin/consistency${n ? `?sample=${encodeURIComponent(n)}` : ''}`);
      return [
        h(
          'p',
          { class: report.stale || report.missing ? 'error' : 'ok' },
          `Checked ${report.checked}: ${report.stale} stale, ${report.missing} missing.`,
        ),
        report.staleKeys.length
          ? h(
              'ul',
              {},
              report.staleKeys.map((k) => h('li', {}, h('code', {}, k))),
            )
          : null,
      ];
    });

  const refreshAll = () => {
    void showHealth();
    void showConsumers();
    void showCache();
    void showLatency();
  };
  refreshAll();
  return {
    title: 'Operations',
    element: h(
      'div',
      {},
      h('h1', {}, 'Operations'),
      button('Refresh', refreshAll),
      h(
        'div',
        { class: 'grid' },
        section('Health', health),
        section('Cache hit ratio', cache),
        section('Consumer lag', consumers),
        section('Propagation latency', latency),
      ),
      section(
        'Consistency auditor',
        h('p', {}, 'Compares cached entries with PostgreSQL.'),
        h(
          'div',
          { class: 'inline' },
          h('label', { for: sample.id }, 'Sample size'),
          sample,
          button('Run the consistency auditor', () => void runAuditor(), admin),
        ),
        consistency,
      ),
    ),
  };
}
