import type { Store } from './client.ts'
import {
  movePointsToSamples,
  ROLLUP_DIRTY_TABLE,
  ROLLUP_TABLES,
  SAMPLES_TABLE,
  samplesTtl,
} from './samples.ts'

export interface Retention {
  rawDays: number
  rollup1mDays: number
  rollup1hDays: number
}

interface Migration {
  version: number
  name: string
  statements: string[]
  /** Work beyond statements (copying data), run after them; idempotent like them. */
  run?: (store: Store) => Promise<void>
}

/** Rollup tables keep min/max/sum/count and the last value (by timestamp) per series and bucket. */
function rollup(table: string, seconds: number, partition: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      fp UInt64 CODEC(ZSTD(1)),
      ts UInt32 CODEC(DoubleDelta, ZSTD(1)),
      min SimpleAggregateFunction(min, Float64) CODEC(ZSTD(3)),
      max SimpleAggregateFunction(max, Float64) CODEC(ZSTD(3)),
      sum SimpleAggregateFunction(sum, Float64) CODEC(ZSTD(3)),
      count SimpleAggregateFunction(sum, Int64) CODEC(T64, ZSTD(1)),
      last AggregateFunction(argMax, Float64, UInt32) CODEC(ZSTD(3))
    ) ENGINE = AggregatingMergeTree
    PARTITION BY ${partition}
    ORDER BY (fp, ts)
    SETTINGS ttl_only_drop_parts = 1`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${table}_mv TO ${table} AS
      SELECT fp, bucket AS ts, min(value) AS min, max(value) AS max, sum(value) AS sum,
             count() AS count, argMaxState(value, point_ts) AS last
      FROM (SELECT fp, ts AS point_ts, toUInt32(intDiv(ts, ${seconds}) * ${seconds}) AS bucket, value FROM points)
      GROUP BY fp, bucket`,
  ]
}

/** Append-only: a released migration is never edited, a change is a new version. */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'series, points, rollups, endpoints',
    statements: [
      `CREATE TABLE IF NOT EXISTS series (
        fp UInt64,
        endpoint String,
        metric LowCardinality(String),
        tags String,
        counter_type LowCardinality(String),
        step UInt32,
        last_seen DateTime
      ) ENGINE = ReplacingMergeTree(last_seen)
      ORDER BY (endpoint, metric, fp)`,
      // Same series + timestamp collapses, so re-delivered points are stored once.
      `CREATE TABLE IF NOT EXISTS points (
        fp UInt64 CODEC(ZSTD(1)),
        ts UInt32 CODEC(DoubleDelta, ZSTD(1)),
        value Float64 CODEC(Delta, ZSTD(3))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(toDateTime(ts))
      ORDER BY (fp, ts)
      SETTINGS ttl_only_drop_parts = 1`,
      ...rollup('points_1m', 60, 'toYYYYMM(toDateTime(ts))'),
      ...rollup('points_1h', 3600, 'toYear(toDateTime(ts))'),
      `CREATE TABLE IF NOT EXISTS endpoints (
        endpoint String,
        agent LowCardinality(String),
        last_seen DateTime
      ) ENGINE = ReplacingMergeTree(last_seen)
      ORDER BY endpoint`,
    ],
  },
  {
    version: 2,
    name: 'audit',
    statements: [
      // One row per configuration change, from the audit stream. before/after are JSON text, ''
      // for null. Kept 400 days. A write retried after it was in fact stored is the same block,
      // which the deduplication window drops; a crash between insert and ack can still leave an
      // exact duplicate row, which readers fold with DISTINCT.
      `CREATE TABLE IF NOT EXISTS audit (
        at DateTime64(3),
        actor LowCardinality(String),
        action LowCardinality(String),
        kind LowCardinality(String),
        id String,
        before String CODEC(ZSTD(3)),
        after String CODEC(ZSTD(3))
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (kind, id, at)
      TTL toDateTime(at) + INTERVAL 400 DAY
      SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000`,
    ],
  },
  {
    version: 3,
    name: 'audit paths',
    statements: [
      // The tree paths a change concerns, so scoped tokens read their subtree's history.
      'ALTER TABLE audit ADD COLUMN IF NOT EXISTS paths Array(String) AFTER id',
    ],
  },
  {
    version: 4,
    name: 'audit actor id',
    statements: [
      // The token id apart from its name, so `actor` holds the name alone and a filter on it is
      // an equality. Rows from before hold `name (id)` in actor and '' here; readers split them.
      'ALTER TABLE audit ADD COLUMN IF NOT EXISTS actor_id LowCardinality(String) AFTER actor',
    ],
  },
  {
    version: 5,
    name: 'events',
    statements: [
      // The judges' events. An event published twice (a judge restarted or took over) has the
      // same id and timestamp, so it lands in the same sorting key and is folded.
      `CREATE TABLE IF NOT EXISTS events (
        timestamp DateTime,
        id String,
        key String,
        status LowCardinality(String),
        kind LowCardinality(String),
        step UInt32,
        value Nullable(Float64),
        flapping UInt8,
        endpoint String,
        metric LowCardinality(String),
        tags String,
        strategy_id String,
        strategy_name String,
        node String,
        priority UInt8,
        condition String,
        operator LowCardinality(String),
        threshold Float64,
        note String CODEC(ZSTD(3)),
        receivers Array(String),
        callback_url String,
        paths Array(String),
        judged_at DateTime64(3),
        INDEX endpoint_idx endpoint TYPE bloom_filter GRANULARITY 4,
        INDEX strategy_idx strategy_id TYPE bloom_filter GRANULARITY 4
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(timestamp)
      ORDER BY (toDate(timestamp), id)
      TTL timestamp + INTERVAL 400 DAY
      SETTINGS ttl_only_drop_parts = 1`,
      // Each key's last event, i.e. what is firing now: one row per key once merged (FINAL).
      `CREATE TABLE IF NOT EXISTS events_latest AS events
      ENGINE = ReplacingMergeTree(judged_at)
      ORDER BY key
      TTL timestamp + INTERVAL 400 DAY`,
      'CREATE MATERIALIZED VIEW IF NOT EXISTS events_latest_mv TO events_latest AS SELECT * FROM events',
    ],
  },
  {
    version: 6,
    name: 'notifications',
    statements: [
      // The alarm's delivery attempts. A record published twice has the same id and time, so it
      // lands in the same sorting key and is folded (readers use FINAL). Reads filter by the
      // arrays (an event's key or id, a host) through their bloom filters.
      `CREATE TABLE IF NOT EXISTS notifications (
        at DateTime64(3),
        id String,
        notification String,
        events Array(String),
        keys Array(String),
        count UInt32,
        channel LowCardinality(String),
        receiver LowCardinality(String),
        address String,
        priority UInt8,
        status LowCardinality(String),
        outcome LowCardinality(String),
        attempt UInt16,
        error String CODEC(ZSTD(3)),
        paths Array(String),
        endpoints Array(String),
        metric LowCardinality(String),
        INDEX keys_idx keys TYPE bloom_filter GRANULARITY 4,
        INDEX events_idx events TYPE bloom_filter GRANULARITY 4,
        INDEX endpoints_idx endpoints TYPE bloom_filter GRANULARITY 4
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (toDate(at), id)
      TTL toDateTime(at) + INTERVAL 400 DAY
      SETTINGS ttl_only_drop_parts = 1`,
    ],
  },
  {
    version: 7,
    name: 'samples as decimals, rollups from them',
    statements: [
      SAMPLES_TABLE,
      ...ROLLUP_TABLES,
      ROLLUP_DIRTY_TABLE,
      // The rollups are now rolled from the samples after the fact (collector/src/roller.ts).
      'DROP VIEW IF EXISTS points_1m_mv',
      'DROP VIEW IF EXISTS points_1h_mv',
    ],
    run: movePointsToSamples,
  },
]

/**
 * Brings the schema to the latest version. Safe to run from several processes at once: every
 * statement is idempotent and a version is recorded only after all its statements succeeded.
 * Retention is (re)applied on every start so a changed setting takes effect. `through` stops at an
 * older version, without retention: for tests of a migration, which need the schema before it.
 */
export async function migrate(store: Store, retention: Retention, through?: number): Promise<void> {
  await store.command(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied_at DateTime DEFAULT now()
  ) ENGINE = ReplacingMergeTree ORDER BY version`)
  const rows = await store.query<{ version: number }>({
    query: 'SELECT version FROM schema_migrations FINAL',
    params: {},
  })
  const applied = new Set(rows.map((r) => Number(r.version)))
  for (const m of MIGRATIONS) {
    if (through !== undefined && m.version > through) return
    if (applied.has(m.version)) continue
    for (const statement of m.statements) await store.command(statement)
    await m.run?.(store)
    await store.command({
      query: 'INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})',
      params: { v: m.version, n: m.name },
    })
  }
  await applyRetention(store, retention)
}

async function applyRetention(store: Store, r: Retention): Promise<void> {
  const ttl: [string, string][] = [
    ['samples', samplesTtl(r.rawDays)],
    ['rollups_1m', `toDateTime(ts) + INTERVAL ${Math.trunc(r.rollup1mDays)} DAY`],
    ['rollups_1h', `toDateTime(ts) + INTERVAL ${Math.trunc(r.rollup1hDays)} DAY`],
  ]
  for (const [table, expression] of ttl) {
    await store.command(
      `ALTER TABLE ${table} MODIFY TTL ${expression}`,
      // Rewriting old parts on every start would be costly; expired parts are dropped as they age.
      { materialize_ttl_after_modify: 0 },
    )
  }
}
