import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { failSentCommandsOnClose, redisOptions } from '@visita/protocol/redis';
import { RedisHealth } from './redis/RedisHealth.ts';
import { withAnsweredSubscriptions } from './redis/adapterSubscriptions.ts';
import { DurableWrites } from './redis/DurableWrites.ts';
import { DurableAuditStore } from './store/DurableAuditStore.ts';
import type { SignalingConfig } from './config.ts';
import { AccountService } from './accounts/AccountService.ts';
import { ConsultationService } from './ConsultationService.ts';
import { redisRateLimits } from './rateLimits.ts';
import { RedisAccountStore, RedisRefreshTokenStore } from './store/RedisAccountStore.ts';
import { RedisLoginChallengeStore } from './store/RedisLoginChallengeStore.ts';
import { SecretBox } from './accounts/SecretBox.ts';
import { accountSeal } from './accounts/accountSeal.ts';
import { TwoFactorService } from './accounts/TwoFactorService.ts';
import { createHttpApp } from './api/http.ts';
import { guardHttpServer } from './api/guard.ts';
import type { Logger } from './logger.ts';
import { SfuRegistry } from './sfu/SfuRegistry.ts';
import { startBackgroundPasses } from './backgroundPasses.ts';
import { SignalingMetrics } from './metrics.ts';
import { bindClientHandlers } from './clientHandlers.ts';
import {
  createSocketServer,
  socketNotifier,
  startPresenceHeartbeat,
  sessionRoom,
  InstanceBus,
  type SignalingIo,
} from './socketServer.ts';
import type { AuditStore } from './store/AuditStore.ts';
import { AUDIT_PRACTITIONER_PATTERN, AUDIT_STREAM, RedisAuditStore } from './store/RedisAuditStore.ts';
import { Retention, applyRetention } from './store/retention.ts';
import { RedisClaims } from './store/Claims.ts';
import { RedisDurationStore } from './store/DurationStore.ts';
import { RedisAdmissionStore } from './store/AdmissionStore.ts';
import { capacityEtaMs, readCapacityStatus } from './autoscale/capacityStatus.ts';
import { RedisChatStore } from './store/RedisChatStore.ts';
import { METERING_STREAM, MeteringLog } from './metering/MeteringLog.ts';
import { PlanBook } from './metering/PlanBook.ts';
import { Rater } from './metering/Rater.ts';
import { UsageStore } from './metering/UsageStore.ts';
import { RedisPresenceStore } from './store/RedisPresenceStore.ts';
import { RedisWaitingQueueStore } from './store/RedisWaitingQueueStore.ts';
import {
  CONSULTATION_INDEX_PATTERN,
  IN_CALL_SET,
  RedisConsultationStore,
  consultationKey,
} from './store/RedisConsultationStore.ts';
import { TokenService } from './tokens.ts';
import { installHandshake } from './handshake.ts';
import { transportIce } from './turn.ts';
import type { OpsSources } from './api/opsRoutes.ts';
import { PractitionerNames } from './accounts/PractitionerNames.ts';
import { RedisConnectionCaps } from './store/ConnectionCaps.ts';
import { probeShare } from './usecases/NetworkProbes.ts';
import { RedisDeadlineStore } from './store/DeadlineStore.ts';
import { RedisSessionRevocations } from './store/RedisSessionRevocations.ts';
import { DeviceTokens } from './accounts/DeviceTokens.ts';
import { ErrorCode, VisitaError } from '@visita/protocol';

/** The Socket.IO adapter's stream between instances (broadcasts, recovery), bounded in length. */
export const SOCKET_STREAM = 'visita:sio';
export const SOCKET_STREAM_MAX_LEN = 2_000;
export const SOCKET_SESSION_PREFIX = 'visita:sio:session:';

/** One signaling instance: express (health, metrics, API) and Socket.IO on one HTTP server. */
export class SignalingServer {
  readonly config: SignalingConfig;
  readonly tokens: TokenService;
  readonly redis: Redis;
  /** Whether Redis can be reached now, and since when. */
  readonly health: RedisHealth;
  readonly sfu: SfuRegistry;
  readonly consultations: ConsultationService;
  readonly accounts: AccountService;
  readonly twoFactor: TwoFactorService;
  readonly audit: AuditStore;
  readonly io: SignalingIo;
  readonly #http: HttpServer;
  readonly #presence: ReturnType<typeof startPresenceHeartbeat>;
  readonly #raterRedis: Redis;
  readonly #durableRedis: Redis;
  readonly #durable: DurableWrites;
  readonly usage: UsageStore;
  readonly plans: PlanBook;
  readonly rater: Rater;
  readonly #stopPasses: () => void;
  readonly metrics: SignalingMetrics;
  #metricsServer: HttpServer | undefined;
  /** The internal metrics port, once listening (undefined when metrics are not served). */
  metricsPort: number | undefined;
  readonly #bus: InstanceBus;
  readonly #practitionerNames: PractitionerNames;

  constructor(config: SignalingConfig, log: Logger) {
    this.config = config;
    this.tokens = new TokenService(config.jwtKeys, config.sfuSecret);
    this.redis = new Redis(redisOptions(config.redis, { connectionName: `signaling:${config.instanceId}` }));
    // Each failed connection attempt is an error event: RedisHealth says once when Redis is lost and back.
    this.redis.on('error', (e) => log.debug({ err: e.message }, 'redis error'));
    failSentCommandsOnClose(this.redis);
    this.health = new RedisHealth(this.redis, log);
    this.sfu = new SfuRegistry(this.redis, {
      secret: config.sfuSecret,
      token: (nodeId) => this.tokens.sfuControl(config.instanceId, nodeId),
      log,
    });
    // One owner per path: the express app answers every request, except those Socket.IO takes
    // (engine.io wraps this listener and serves /socket.io/ itself before calling it).
    let app: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
    this.#http = createServer((req, res) => app(req, res));
    guardHttpServer(this.#http, log);
    this.io = createSocketServer(this.#http, config.reconnectGraceMs, log);
    // Instances share rooms and broadcasts through Redis Streams (trimmed by age by the sweeper too).
    // Recovery sessions under visita: too (the service's Redis ACL user only reaches visita:*).
    this.io.adapter(
      withAnsweredSubscriptions(this.redis, log, () =>
        createAdapter(this.redis, {
          streamName: SOCKET_STREAM,
          maxLen: SOCKET_STREAM_MAX_LEN,
          sessionKeyPrefix: SOCKET_SESSION_PREFIX,
          // Shorter than a command's time limit (redisOptions), so a read that waits is not a timeout.
          blockTimeInMs: 1_000,
        }),
      ),
    );
    const presence = new RedisPresenceStore(this.redis, config.presenceTtlMs);
    this.usage = new UsageStore(this.redis);
    this.plans = new PlanBook(this.redis, config.plans);
    // The rater blocks on the stream: it gets a connection of its own.
    this.#raterRedis = this.redis.duplicate();
    this.#raterRedis.on('error', () => undefined);
    failSentCommandsOnClose(this.#raterRedis);
    this.rater = new Rater(
      new MeteringLog(this.#raterRedis),
      this.usage,
      (id) => this.plans.of(id),
      config.instanceId,
      log,
    );
    this.metrics = new SignalingMetrics({
      instanceId: config.instanceId,
      connectedSockets: () => this.io.engine.clientsCount,
      sfuNodes: async () => (await this.sfu.nodes()).length,
      callsInProgress: async () => this.redis.scard(IN_CALL_SET),
      admissionsWaiting: () => admissions.count(),
    });
    // Metering facts and audit records: never lost to an outage or a failover (DurableWrites, on a
    // connection of its own: its WAITs hold nothing else up).
    this.#durableRedis = this.redis.duplicate({ connectionName: `signaling:${config.instanceId}:durable` });
    this.#durableRedis.on('error', () => undefined);
    failSentCommandsOnClose(this.#durableRedis);
    this.#durable = new DurableWrites({
      redis: this.#durableRedis,
      ...config.durable,
      log,
      confirmed: (ms) => this.metrics.durableConfirmed(ms),
      keptChanged: (n) => this.metrics.durableKept(n),
    });
    this.audit = new DurableAuditStore(this.#durable, new RedisAuditStore(this.redis));
    const bus = new InstanceBus();
    this.#bus = bus;
    const notify = socketNotifier(this.io, bus);
    const claims = new RedisClaims(this.redis);
    const admissions = new RedisAdmissionStore(this.redis);
    this.consultations = new ConsultationService(
      {
        store: new RedisConsultationStore(this.redis),
        queue: new RedisWaitingQueueStore(this.redis),
        presence,
        audit: this.audit,
        deadlines: new RedisDeadlineStore(this.redis),
        chat: new RedisChatStore(this.redis),
        claims,
        durations: new RedisDurationStore(this.redis),
        admissions,
        capacityEta: async () => capacityEtaMs(await readCapacityStatus(this.redis, Date.now()), Date.now()),
        observer: this.metrics.observer,
        meter: (e) => this.#durable.run('metering', (redis) => new MeteringLog(redis).append(e)),
        instanceId: config.instanceId,
        ice: transportIce(config),
        probeTtlMs: config.probeTtlMs,
        probeShare: probeShare(new RedisConnectionCaps(this.redis, config.probeTtlMs), config.probesPerPractitioner),
        maxOpenConsultations: config.maxOpenConsultations,
        practiceName: config.practiceName,
        practitionerName: (id) => this.#practitionerNames.get(id),
      },
      this.sfu,
      notify,
      log,
    );
    const limits = redisRateLimits(this.redis, config);
    const box = new SecretBox({ dataKey: config.dataKey, jwtKeys: config.jwtKeys });
    const accountStore = new RedisAccountStore(this.redis, accountSeal(box), (accountId) =>
      log.warn({ accountId }, 'account record changed outside Visita (its seal does not verify): refused'),
    );
    this.#practitionerNames = new PractitionerNames(async (id) => (await accountStore.get(id))?.name ?? null);
    this.twoFactor = new TwoFactorService(accountStore, box);
    this.accounts = new AccountService(
      accountStore,
      new RedisRefreshTokenStore(this.redis, box, () =>
        log.warn('refresh token record changed outside Visita (its seal does not verify): refused'),
      ),
      this.tokens,
      { accessS: config.accessTokenTtlS, refreshS: config.refreshTokenTtlS, idleS: config.idleTimeoutS },
      new RedisSessionRevocations(this.redis),
      { challenges: new RedisLoginChallengeStore(this.redis), twoFactor: this.twoFactor },
    );
    const caps = new RedisConnectionCaps(this.redis, config.presenceTtlMs);
    installHandshake(this.io, {
      tokens: this.tokens,
      caps,
      instanceId: config.instanceId,
      stillValid: async (identity) => {
        if (identity.kind === 'patient')
          await this.consultations.consultations.authorize(identity, identity.consultationId);
        else if (await this.accounts.isRevoked(identity.sid))
          throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'logged out: please log in again');
      },
    });
    bindClientHandlers(this.io, {
      service: this.consultations,
      presence,
      limits,
      instanceId: config.instanceId,
      graceMs: config.reconnectGraceMs,
      bus,
      log,
      rateScale: config.socketRateScale,
      onRefused: (code) => this.metrics.refused(code),
      health: this.health,
    });
    this.#stopPasses = startBackgroundPasses({
      claims,
      service: this.consultations,
      io: this.io,
      config,
      log,
      retention: () => this.applyRetention(),
      health: this.health,
    });
    this.rater.start();
    this.#presence = startPresenceHeartbeat(this.io, presence, caps, config.instanceId, config.presenceTtlMs);
    // Redis back: every connection held here is present again at once (not at the next beat), and
    // every client hears whether records can be kept (a calm banner while they cannot).
    this.health.on('change', (available) => {
      if (available) this.#presence.beat();
      this.io.local.emit('service:status', { available });
      this.metrics.redisAvailable(available);
    });
    app = createHttpApp({
      config,
      tokens: this.tokens,
      consultations: this.consultations,
      accounts: this.accounts,
      twoFactor: this.twoFactor,
      audit: this.audit,
      usage: this.usage,
      plans: this.plans,
      limits,
      devices: new DeviceTokens(box),
      log,
      onLogout: (sessionId) => this.#closeSession(sessionId),
      ops: this.#opsSources(),
      health: this.health,
    });
  }

  #closeSession(sessionId: string): void {
    this.io.in(sessionRoom(sessionId)).disconnectSockets(true);
  }

  /** What ops see at GET /api/ops/status, read from Redis (every instance sees the same). */
  #opsSources(): OpsSources {
    const queue = new RedisWaitingQueueStore(this.redis);
    const admissions = new RedisAdmissionStore(this.redis);
    return {
      nodes: () => this.sfu.nodes(),
      callsInProgress: () => this.redis.scard(IN_CALL_SET),
      admissionsWaiting: () => admissions.count(),
      practitioners: () => queue.practitioners(),
      queue: async (id) => {
        const [waiting, [first]] = await Promise.all([queue.count(id), queue.list(id, 1)]);
        return { waiting, oldestCheckIn: first?.checkedInAt ?? null };
      },
      name: (id) => this.#practitionerNames.get(id),
      autoscaler: async () => {
        const s = await readCapacityStatus(this.redis, Date.now());
        return s
          ? { desired: s.desired, serving: s.serving, starting: s.starting, readyAt: s.readyAt, atMax: s.atMax }
          : null;
      },
      now: Date.now,
    };
  }

  /** One retention pass (see store/retention.ts); returns what it removed. */
  applyRetention(now = Date.now()): ReturnType<typeof applyRetention> {
    return applyRetention(
      this.redis,
      {
        socketStream: { key: SOCKET_STREAM, maxAgeMs: Retention.socketStreamMs(this.config.reconnectGraceMs) },
        meteringStream: { key: METERING_STREAM, maxAgeMs: Retention.METERING_STREAM_MS },
        audit: {
          key: AUDIT_STREAM,
          perPractitionerPattern: AUDIT_PRACTITIONER_PATTERN,
          maxAgeMs: this.config.auditRetentionDays * 24 * 3600_000,
        },
        consultationIndexPattern: CONSULTATION_INDEX_PATTERN,
        consultationKey,
      },
      now,
    );
  }

  /** Listens on the public port, and on the internal metrics port when one is configured. */
  async listen(port = this.config.port, host = this.config.host): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    if (this.config.metrics) {
      const served = await this.metrics.listen(this.config.metrics.port, this.config.metrics.host);
      this.#metricsServer = served.server;
      this.metricsPort = served.port;
    }
    return (this.#http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#bus.closing = true;
    this.#presence.stop();
    this.health.close();
    this.#stopPasses();
    this.#metricsServer?.close();
    await this.rater.stop();
    this.#raterRedis.disconnect();
    // Writes still kept (Redis out of reach) get one last try.
    await this.#durable.flush().catch(() => undefined);
    this.#durable.close();
    this.#durableRedis.disconnect();
    this.sfu.close();
    await this.io.close();
    this.redis.disconnect();
  }
}
