// Caps that keep one classroom server healthy; exceeding one is a clear 4xx.
export interface Limits {
  labs: number;
  namespacesPerLab: number;
  linksPerLab: number;
  /**
   * Values (scalars, lists, maps) in one topology document. Reading is paced, but building the
   * document is one step of ~1 ms per 1,000 values; 500 namespaces and 2000 links take ~20,000.
   */
  topologyValues: number;
  terminalsPerLab: number;
  execTimeoutMs: number;
  execMaxOutput: number;
  bodyLimit: number;
  wsMaxPayload: number;
  /** Mutating requests per minute, counted per route, client address and lab (see app.ts). */
  mutationsPerMinute: number;
  /** Packet captures running at once in one lab. */
  capturesPerLab: number;
  /** Stopped captures kept per lab for download (oldest discarded first). */
  capturesKeptPerLab: number;
  /** A capture stops itself after this long. */
  captureMaxDurationMs: number;
  /** A capture stops itself before its pcap passes this size (bytes, file header included). */
  captureMaxBytes: number;
  /** Decoded lines queued for one capture viewer; beyond this, new lines are dropped and counted. */
  captureClientQueueLines: number;
}

export const DEFAULT_LIMITS: Limits = {
  labs: 50,
  namespacesPerLab: 500,
  linksPerLab: 2000,
  topologyValues: 40_000,
  terminalsPerLab: 32,
  execTimeoutMs: 30_000,
  execMaxOutput: 1024 * 1024,
  bodyLimit: 1024 * 1024,
  wsMaxPayload: 64 * 1024,
  mutationsPerMinute: 600,
  capturesPerLab: 4,
  capturesKeptPerLab: 4,
  captureMaxDurationMs: 10 * 60_000,
  captureMaxBytes: 32 * 1024 * 1024,
  captureClientQueueLines: 20_000,
};
