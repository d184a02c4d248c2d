// Caps that keep one classroom server healthy; exceeding one is a clear 4xx.
export interface Limits {
  labs: number;
  namespacesPerLab: number;
  linksPerLab: number;
  terminalsPerLab: number;
  execTimeoutMs: number;
  execMaxOutput: number;
  bodyLimit: number;
  wsMaxPayload: number;
  /** Mutating requests per client per minute. */
  mutationsPerMinute: number;
}

export const DEFAULT_LIMITS: Limits = {
  labs: 50,
  namespacesPerLab: 500,
  linksPerLab: 2000,
  terminalsPerLab: 32,
  execTimeoutMs: 30_000,
  execMaxOutput: 1024 * 1024,
  bodyLimit: 1024 * 1024,
  wsMaxPayload: 64 * 1024,
  mutationsPerMinute: 600,
};
