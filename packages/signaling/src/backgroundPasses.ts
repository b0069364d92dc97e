import type { SignalingConfig } from './config.ts';
import type { ConsultationService } from './ConsultationService.ts';
import type { Logger } from './logger.ts';
import type { SignalingIo } from './socketServer.ts';
import type { Claims } from './store/Claims.ts';
import type { RedisHealth } from './redis/RedisHealth.ts';
import { RETENTION_EVERY_MS } from './store/retention.ts';

/** How often waiting admissions try for a node with room. */
export const ADMISSIONS_EVERY_MS = 1_000;

export interface BackgroundDeps {
  claims: Claims;
  service: ConsultationService;
  io: SignalingIo;
  config: SignalingConfig;
  log: Logger;
  /** One retention pass over Redis (SignalingServer.applyRetention). */
  retention: () => Promise<unknown>;
  health: Pick<RedisHealth, 'available' | 'backAt' | 'settledFor'>;
}

/**
 * The periodic passes of an instance: the sweep of waiting rooms and calls (deadlines in Redis,
 * one instance per interval through a claim), retention (one instance per interval), delayed admissions (one instance per second), and the
 * metering heartbeats of the calls this instance holds participants of. Returns the stop function.
 *
 * No pass runs while Redis is out of reach. The sweeps judge presence, which nobody could renew
 * meanwhile: they wait one presence TTL after Redis is back (every connection shows itself present
 * again), and date an absence no earlier than Redis's return.
 */
export function startBackgroundPasses(deps: BackgroundDeps): () => void {
  const { claims, service, io, config, log } = deps;
  const sweepEveryMs = Math.max(500, Math.min(config.presenceTtlMs, config.reconnectGraceMs) / 3);
  const { health } = deps;
  const sweeper = setInterval(() => {
    if (!health.settledFor(config.presenceTtlMs)) return;
    void claims
      .claim('sweep', sweepEveryMs - 100)
      .then(async (mine) => {
        if (!mine) return;
        await service.waitingRoom.sweep(config.reconnectGraceMs);
        await service.calls.sweep(config.reconnectGraceMs, Date.now(), health.backAt);
      })
      .catch((e: Error) => log.warn({ err: e.message }, 'sweep failed'));
  }, sweepEveryMs);
  // Admissions waiting for media capacity start as soon as a node has room (one instance per pass).
  const admissions = setInterval(() => {
    if (!health.available) return;
    void claims
      .claim('admissions', ADMISSIONS_EVERY_MS - 100)
      .then((mine) => (mine ? service.calls.startPendingAdmissions() : 0))
      .catch((e: Error) => log.warn({ err: e.message }, 'delayed admissions pass failed'));
  }, ADMISSIONS_EVERY_MS);
  const retention = setInterval(() => {
    if (!health.available) return;
    void claims
      .claim('retention', RETENTION_EVERY_MS - 1_000)
      .then((mine) => (mine ? deps.retention() : null))
      .catch((e: Error) => log.warn({ err: e.message }, 'retention pass failed'));
  }, RETENTION_EVERY_MS);
  const meter = setInterval(() => {
    if (!health.available) return;
    const calls = new Set<string>();
    for (const socket of io.of('/').sockets.values())
      if (socket.data.consultationId) calls.add(socket.data.consultationId);
    for (const id of calls) void service.calls.meterHeartbeat(id, config.meteringHeartbeatMs).catch(() => undefined);
  }, config.meteringHeartbeatMs);
  for (const t of [sweeper, admissions, retention, meter]) t.unref();
  return () => {
    for (const t of [sweeper, admissions, retention, meter]) clearInterval(t);
  };
}
