import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadSfuConfig } from '../../sfu/src/config.ts';
import { loadAutoscalerConfig } from '../src/autoscale/config.ts';
import { loadSignalingConfig } from '../src/config.ts';

// infra/k8s, validated offline (no cluster here): each kustomization rendered, then every resource
// checked strictly (unknown fields, wrong types) by kubeconform against the Kubernetes 1.37 schemas
// and KEDA's ScaledObject schema, and the properties the platform relies on asserted.
// The tools come from scripts/ensure-k8s-tools.sh (VISITA_K8S_TOOLS, set by scripts/test.sh).
const ROOT = resolve(import.meta.dirname, '../../..');
const TOOLS = process.env['VISITA_K8S_TOOLS'];
const dir = mkdtempSync(join(tmpdir(), 'visita-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, its shape is what the assertions check.
type Yaml = any;

interface Resource {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

function render(kustomization: string): string {
  const viaKubectl = spawnSync('kubectl', ['kustomize', join(ROOT, kustomization)], { encoding: 'utf8' });
  if (viaKubectl.status === 0) return viaKubectl.stdout;
  return execFileSync(join(TOOLS!, 'bin/kustomize'), ['build', join(ROOT, kustomization)], { encoding: 'utf8' });
}

/** kubeconform's verdict on a rendering: resources by status. */
function validate(yamlText: string): { valid: number; invalid: string[]; skipped: number } {
  const file = join(dir, `r-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yamlText);
  const r = spawnSync(
    join(TOOLS!, 'bin/kubeconform'),
    [
      '-strict',
      '-verbose',
      '-output',
      'json',
      '-schema-location',
      join(TOOLS!, 'schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      file,
    ],
    { encoding: 'utf8' },
  );
  const out = JSON.parse(r.stdout) as { resources: Array<{ kind: string; name: string; status: string; msg: string }> };
  const by = (s: string) => out.resources.filter((x) => x.status === s);
  return {
    valid: by('statusValid').length,
    invalid: [...by('statusInvalid'), ...by('statusError')].map((x) => `${x.kind} ${x.name}: ${x.msg}`),
    skipped: by('statusSkipped').length,
  };
}

const resources = (yamlText: string): Resource[] => parseAllDocuments(yamlText).map((d) => d.toJS() as Resource);
const find = (all: Resource[], kind: string, name: string) => {
  const r = all.find((x) => x.kind === kind && x.metadata.name === name);
  expect(r, `${kind} ${name}`).toBeDefined();
  return r as Resource & { spec: Yaml };
};

/** Stand-ins for visita-secrets (created by the command in infra/k8s/README.md), by key. */
const SECRETS: Record<string, string> = {
  'jwt-keys': `k1:${'j'.repeat(32)}`,
  'sfu-secret': 'from-the-secret-0123456789',
  'data-key': 'd'.repeat(32),
  'turn-secret': 'from-the-secret-0123456789',
  'backup-key': Buffer.alloc(32, 7).toString('base64'),
  'redis-admin-password': 'admin0a',
  'redis-signaling-password': 'signaling0b',
  'redis-sfu-password': 'sfu0c',
  'redis-replica-password': 'replica0d',
  'redis-sentinel-user-password': 'sentineluser0e',
  'redis-sentinel-password': 'sentinel0f',
};
const FIELDS: Record<string, string> = {
  'metadata.name': 'pod-0',
  'metadata.namespace': 'visita',
  'status.hostIP': '10.1.2.3',
};

/**
 * The environment a container gets, as the kubelet makes it: its ConfigMaps (envFrom), then its env
 * in order, secrets and downward-API fields filled with the stand-ins above, `$(VAR)` expanded.
 */
function containerEnv(all: Resource[], container: Yaml): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? [])
    Object.assign(env, find(all, 'ConfigMap', from.configMapRef.name).data as Record<string, string>);
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = String(e.value).replace(/\$\(([A-Za-z0-9_]+)\)/g, (ref, name) => env[name] ?? ref);
    } else if (e.valueFrom?.secretKeyRef) {
      expect(e.valueFrom.secretKeyRef.name).toBe('visita-secrets');
      expect(SECRETS, `secret key ${e.valueFrom.secretKeyRef.key}`).toHaveProperty([e.valueFrom.secretKeyRef.key]);
      env[e.name] = SECRETS[e.valueFrom.secretKeyRef.key] as string;
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const value = (find(all, 'ConfigMap', name).data as Record<string, string>)[key];
      expect(value, `${name}.${key}`).toBeDefined();
      env[e.name] = value!;
    } else {
      expect(FIELDS, e.name).toHaveProperty([e.valueFrom.fieldRef.fieldPath]);
      env[e.name] = FIELDS[e.valueFrom.fieldRef.fieldPath] as string;
    }
  }
  return env;
}

/** The keys of visita-secrets the manifests read. */
function secretKeys(node: unknown, keys = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) secretKeys(x, keys);
  else if (node !== null && typeof node === 'object') {
    const ref = (node as { secretKeyRef?: { name: string; key: string } }).secretKeyRef;
    if (ref?.name === 'visita-secrets') keys.add(ref.key);
    for (const x of Object.values(node)) secretKeys(x, keys);
  }
  return keys;
}

/** `a.b.c.d/n` as coturn's `first-last` range. */
function cidrRange(cidr: string): string {
  const [ip, bits] = cidr.split('/') as [string, string];
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const dotted = (v: number) => [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
  return `${dotted(n - (n % size))}-${dotted(n - (n % size) + size - 1)}`;
}

const SENTINELS = 'redis-0.redis:26379,redis-1.redis:26379,redis-2.redis:26379';

describe.each(['infra/k8s/base', 'infra/k8s/overlays/flu-season'])('%s', (kustomization) => {
  it('renders, and every resource is valid against the Kubernetes and KEDA schemas, strictly', () => {
    expect(TOOLS, 'VISITA_K8S_TOOLS (scripts/ensure-k8s-tools.sh; make test sets it)').toBeTruthy();
    const text = render(kustomization);
    const verdict = validate(text);
    expect(verdict.invalid).toEqual([]);
    expect(verdict.skipped).toBe(0);
    expect(verdict.valid).toBe(resources(text).length);
    expect(verdict.valid).toBeGreaterThanOrEqual(20);
  });

  it('has what the platform relies on: draining SFU nodes on the host network, budgets, policies, scalers', () => {
    const all = resources(render(kustomization));
    expect(new Set(all.map((r) => r.metadata.namespace ?? 'visita'))).toEqual(new Set(['visita']));
    const sfu = find(all, 'Deployment', 'sfu').spec.template.spec;
    expect(sfu.hostNetwork).toBe(true);
    const container = sfu.containers[0];
    const env = Object.fromEntries(container.env.map((e: Yaml) => [e.name, e.value ?? e.valueFrom]));
    expect(env.NODE_IP).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    expect(env.VISITA_RTC_ANNOUNCED_ADDRESS).toBe('$(NODE_IP)');
    // The grace period outlasts the drain, and preStop starts it and waits for the node to exit.
    const drainMs = Number(find(all, 'ConfigMap', 'visita-config').data!['VISITA_SFU_DRAIN_MAX_MS' as never]);
    expect(sfu.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
    expect(container.lifecycle.preStop.exec.command.join(' ')).toContain('kill -TERM 1');
    for (const name of ['signaling', 'web', 'sfu', 'coturn', 'redis']) find(all, 'PodDisruptionBudget', name);
    expect(find(all, 'NetworkPolicy', 'default-deny-ingress').spec.podSelector).toEqual({});
    expect(find(all, 'HorizontalPodAutoscaler', 'signaling').spec.scaleTargetRef.name).toBe('signaling');
    const scaler = find(all, 'ScaledObject', 'sfu').spec;
    expect(scaler.scaleTargetRef.name).toBe('sfu');
    expect(scaler.triggers[0]).toMatchObject({
      type: 'prometheus',
      metadata: { query: 'max(visita_autoscaler_desired_sfu_nodes)' },
    });
    // The autoscaler that publishes the metric: its entry point exists and its configuration
    // (ConfigMap and env) is accepted by the process's own loader.
    const autoscaler = find(all, 'Deployment', 'autoscaler').spec.template.spec.containers[0];
    expect(existsSync(join(ROOT, autoscaler.command[1]))).toBe(true);
    const autoscalerEnv = {
      ...(find(all, 'ConfigMap', 'visita-autoscaler').data as Record<string, string>),
      ...containerEnv(all, autoscaler),
    };
    expect(loadAutoscalerConfig(autoscalerEnv)).toMatchObject({ provider: 'metric' });
    find(all, 'PodDisruptionBudget', 'autoscaler');
    // Signaling: its ConfigMap and env (secrets from visita-secrets, filled here) pass its own
    // loader, TURN included: the coturn Deployment's secret is the one it signs credentials with.
    const signaling = find(all, 'Deployment', 'signaling').spec.template.spec.containers[0];
    const fromSecret = (key: string) =>
      signaling.env.find((e: Yaml) => e.valueFrom?.secretKeyRef?.key === key)?.name as string | undefined;
    expect(fromSecret('turn-secret')).toBe('VISITA_TURN_SECRET');
    const coturn = find(all, 'Deployment', 'coturn').spec.template.spec.containers[0];
    expect(coturn.env.find((e: Yaml) => e.name === 'TURN_SECRET').valueFrom.secretKeyRef.key).toBe('turn-secret');
    // coturn runs Visita's TURN policy, infra/coturn/turnserver.conf byte for byte (every peer
    // denied, no TCP relaying, quotas), allows the nodes' range (where the SFU announces its media)
    // and sizes its total quota from its relay ports as scripts/coturn.sh does.
    const coturnPod = find(all, 'Deployment', 'coturn').spec.template.spec;
    const policy = (find(all, 'ConfigMap', 'visita-coturn').data as Record<string, string>)['turnserver.conf'];
    expect(policy).toBe(readFileSync(join(ROOT, 'infra/coturn/turnserver.conf'), 'utf8'));
    expect(policy).toMatch(/^denied-peer-ip=0\.0\.0\.0-255\.255\.255\.255$/m);
    expect(policy).toMatch(/^no-tcp-relay$/m);
    const mount = coturn.volumeMounts.find((m: Yaml) => m.name === 'config').mountPath;
    expect(coturnPod.volumes.find((v: Yaml) => v.name === 'config').configMap.name).toBe('visita-coturn');
    const args: string[] = coturn.args;
    expect(args.slice(0, 2)).toEqual(['-c', `${mount}/turnserver.conf`]);
    const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    const coturnEnv = containerEnv(all, coturn);
    expect(arg('allowed-peer-ip')).toBe('$(VISITA_TURN_PEERS)');
    const peers = coturnEnv['VISITA_TURN_PEERS']!;
    expect(peers).toMatch(/^[\d.]+-[\d.]+$/);
    // The same range as the nodes' in the network policies.
    const nodesCidr = find(all, 'NetworkPolicy', 'redis-from-visita').spec.ingress[1].from[0].ipBlock.cidr;
    expect(cidrRange(nodesCidr)).toBe(peers);
    expect(Number(arg('total-quota'))).toBe(
      Math.floor(((Number(arg('max-port')) - Number(arg('min-port')) + 1) * 9) / 10),
    );
    // Nothing on its command line loosens the policy.
    expect(args.filter((a) => /peer|tcp-relay|quota|bps/.test(a)).sort()).toEqual(
      ['--allowed-peer-ip=$(VISITA_TURN_PEERS)', `--total-quota=${arg('total-quota')}`].sort(),
    );
    const signalingEnv = containerEnv(all, signaling);
    expect(loadSignalingConfig(signalingEnv).turn?.urls).toEqual([
      expect.stringMatching(/^turn:.+:3478\?transport=udp$/),
      expect.stringMatching(/^turn:.+:3478\?transport=tcp$/),
    ]);
    if (kustomization.endsWith('flu-season')) {
      expect(scaler.triggers.map((t: Yaml) => t.type)).toEqual(['prometheus', 'cron']);
      expect(find(all, 'HorizontalPodAutoscaler', 'signaling').spec.minReplicas).toBe(4);
    }
  });

  it('runs Redis with Sentinel: three data nodes and three sentinels, the settings and users of infra/redis', () => {
    const all = resources(render(kustomization));
    const sts = find(all, 'StatefulSet', 'redis').spec;
    expect(sts.replicas).toBe(3);
    const pod = sts.template.spec;
    expect(pod.containers.map((c: Yaml) => c.name)).toEqual(['redis', 'sentinel']);
    for (const c of [...pod.initContainers, ...pod.containers]) expect(c.image).toBe('redis:7.4');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } },
    });
    for (const c of pod.containers) expect(c.readinessProbe, c.name).toBeDefined();
    expect(sts.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    expect(find(all, 'PodDisruptionBudget', 'redis').spec.maxUnavailable).toBe(1);
    // The pods' stable names, published before they are ready (replicas and sentinels reach a
    // node that is starting), and the sentinels behind one Service.
    const headless = find(all, 'Service', sts.serviceName).spec;
    expect(headless).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(headless.ports.map((p: Yaml) => p.port)).toEqual([6379, 26379]);
    expect(find(all, 'Service', 'redis-sentinel').spec.ports.map((p: Yaml) => p.port)).toEqual([26379]);

    // The common settings and the users are infra/redis's, byte for byte (AOF everysec, no eviction,
    // every user with a password).
    const config = find(all, 'ConfigMap', 'visita-redis').data as Record<string, string>;
    expect(config['redis.conf']).toBe(readFileSync(join(ROOT, 'infra/redis/redis.conf'), 'utf8'));
    const template = readFileSync(join(ROOT, 'infra/redis/users.acl.template'), 'utf8');
    expect(config['users.acl.template']).toBe(template);
    expect(config['redis.conf']).toMatch(/^appendonly yes$/m);
    expect(config['redis.conf']).toMatch(/^appendfsync everysec$/m);

    // The init container's script, run here as in the pod (its env from the manifest, secrets filled
    // in, redis-cli a stand-in that plays the sentinels), writes each pod's configuration.
    const [init] = pod.initContainers;
    expect(init.command).toEqual(['sh', '/etc/visita-redis/init.sh']);
    const mounts = (c: Yaml) => Object.fromEntries(c.volumeMounts.map((m: Yaml) => [m.name, m.mountPath]));
    // (The script's default directories are these mounts.)
    expect(mounts(init)).toMatchObject({
      config: '/etc/visita-redis',
      node: '/etc/redis-node',
      sentinel: '/etc/redis-sentinel',
    });
    const [redis, sentinel] = pod.containers;
    expect(redis.command).toEqual(['redis-server', '/etc/redis-node/redis.conf']);
    expect(mounts(redis)).toMatchObject({ node: '/etc/redis-node', data: '/data' });
    expect(sentinel.command).toEqual(['sh', '/etc/visita-redis/sentinel.sh']);
    expect(mounts(sentinel)).toMatchObject({ sentinel: '/etc/redis-sentinel' });
    const volumes = Object.fromEntries(pod.volumes.map((v: Yaml) => [v.name, v]));
    expect(volumes.config.configMap.name).toBe('visita-redis');
    expect(Object.keys(volumes.node)).toContain('emptyDir');
    expect(Object.keys(volumes.sentinel)).toContain('emptyDir');
    const initEnv = containerEnv(all, init);
    expect(Number(initEnv['VISITA_REDIS_NODES'])).toBe(sts.replicas);
    const runInit = (podName: string, sentinelsSay?: { from: string; primary: string }) => {
      const box = mkdtempSync(join(dir, 'init-'));
      for (const d of ['conf', 'node', 'sentinel', 'bin']) mkdirSync(join(box, d));
      for (const [k, v] of Object.entries(config)) writeFileSync(join(box, 'conf', k), v);
      writeFileSync(
        join(box, 'bin/redis-cli'),
        `#!/bin/sh\necho "$@" >> "${box}/asked"\n` +
          (sentinelsSay
            ? `case " $* " in *" -h ${sentinelsSay.from} "*) printf '%s\\n6379\\n' ${sentinelsSay.primary}; exit 0;; esac\n`
            : '') +
          'echo "Could not connect to Redis" >&2; exit 1\n',
      );
      chmodSync(join(box, 'bin/redis-cli'), 0o755);
      const r = spawnSync('sh', [join(box, 'conf/init.sh')], {
        encoding: 'utf8',
        env: {
          ...initEnv,
          POD_NAME: podName,
          PATH: `${join(box, 'bin')}:${process.env['PATH']}`,
          VISITA_REDIS_CONF_DIR: join(box, 'conf'),
          VISITA_REDIS_NODE_DIR: join(box, 'node'),
          VISITA_REDIS_SENTINEL_DIR: join(box, 'sentinel'),
        },
      });
      expect(r.status, r.stderr).toBe(0);
      const read = (f: string) => readFileSync(join(box, f), 'utf8');
      return {
        node: read('node/redis.conf'),
        acl: read('node/users.acl'),
        sentinel: read('sentinel/sentinel.conf'),
        asked: read('asked'),
      };
    };
    const fqdn = (n: number) => `redis-${n}.redis.visita.svc.cluster.local`;
    // First start: no sentinel answers, redis-0 is the primary, the others replicate it.
    const first = runInit('redis-0');
    expect(first.asked.split('\n')[0]).toContain('-h redis-sentinel -p 26379 sentinel get-master-addr-by-name visita');
    expect(first.node).not.toMatch(/^replicaof /m);
    expect(first.node).toMatch(/^include \/.+\/conf\/redis\.conf$/m);
    for (const line of [
      'port 6379',
      'dir /data',
      'masteruser replica',
      `masterauth ${SECRETS['redis-replica-password']}`,
    ])
      expect(first.node.split('\n')).toContain(line);
    expect(first.node.split('\n')).toContain(`replica-announce-ip ${fqdn(0)}`);
    // A full Redis refuses writes (noeviction) before its container is killed for memory.
    const maxmemory = /^maxmemory (\d+)mb$/m.exec(first.node)?.[1];
    expect(Number(maxmemory) * 2 ** 20).toBeLessThan(
      0.75 * Number.parseInt(redis.resources.limits.memory, 10) * 2 ** 30,
    );
    expect(redis.resources.limits.memory).toMatch(/^\d+Gi$/);
    expect(runInit('redis-1').node.split('\n')).toContain(`replicaof ${fqdn(0)} 6379`);
    // After a failover: the sentinels name redis-1, and redis-0 (back) and redis-2 follow it.
    const back = runInit('redis-0', { from: 'redis-sentinel', primary: fqdn(1) });
    expect(back.node.split('\n')).toContain(`replicaof ${fqdn(1)} 6379`);
    expect(runInit('redis-2', { from: fqdn(0), primary: fqdn(1) }).node.split('\n')).toContain(
      `replicaof ${fqdn(1)} 6379`,
    );
    expect(runInit('redis-1', { from: fqdn(2), primary: fqdn(1) }).node).not.toMatch(/^replicaof /m);
    // The ACL file: the template's users, without comments, each with its password's SHA-256.
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const users: Record<string, string> = {
      default: 'redis-admin-password',
      signaling: 'redis-signaling-password',
      sfu: 'redis-sfu-password',
      replica: 'redis-replica-password',
      sentinel: 'redis-sentinel-user-password',
    };
    expect(first.acl).toBe(
      template
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => `${l.replace(/\{\{(\w+)\}\}/, (_, u: string) => sha(SECRETS[users[u] as string] as string))}\n`)
        .join(''),
    );
    expect(first.acl).not.toContain('{{');
    // The sentinels: quorum 2 of 3, a primary silent for 5 s is replaced, known by stable names.
    const sentinelConf = back.sentinel.split('\n');
    for (const line of [
      'port 26379',
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `sentinel announce-ip ${fqdn(0)}`,
      `requirepass ${SECRETS['redis-sentinel-password']}`,
      `sentinel sentinel-pass ${SECRETS['redis-sentinel-password']}`,
      `sentinel monitor visita ${fqdn(1)} 6379 2`,
      'sentinel auth-user visita sentinel',
      `sentinel auth-pass visita ${SECRETS['redis-sentinel-user-password']}`,
      'sentinel down-after-milliseconds visita 5000',
      'sentinel failover-timeout visita 20000',
      'sentinel parallel-syncs visita 1',
    ])
      expect(sentinelConf).toContain(line);
    expect(sentinelConf.indexOf('sentinel resolve-hostnames yes')).toBeLessThan(
      sentinelConf.findIndex((l) => l.startsWith('sentinel monitor')),
    );
    expect(first.sentinel.split('\n')).toContain(`sentinel monitor visita ${fqdn(0)} 6379 2`);
  });

  it('points every service at the sentinels with its own Redis user, and backs Redis up every night', () => {
    const all = resources(render(kustomization));
    const container = (name: string) => find(all, 'Deployment', name).spec.template.spec.containers[0];
    const userOf = (url: string) => {
      const u = new URL(url);
      return `${u.username}:${u.password}`;
    };
    // Signaling: through the sentinels, and each metering fact and audit record waits for a replica.
    const signaling = loadSignalingConfig(containerEnv(all, container('signaling')));
    expect(signaling.redis.sentinels).toHaveLength(3);
    expect(signaling.redis.sentinelPassword).toBe(SECRETS['redis-sentinel-password']);
    expect(userOf(signaling.redis.url)).toBe(`signaling:${SECRETS['redis-signaling-password']}`);
    expect(signaling.durable.replicas).toBe(1);
    // The SFU (host network: the cluster's DNS still, for the sentinels' names).
    const sfuPod = find(all, 'Deployment', 'sfu').spec.template.spec;
    expect(sfuPod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    const sfu = loadSfuConfig(containerEnv(all, sfuPod.containers[0]));
    expect(sfu.redis.sentinels).toHaveLength(3);
    expect(sfu.redis.sentinelPassword).toBe(SECRETS['redis-sentinel-password']);
    expect(userOf(sfu.redis.url)).toBe(`sfu:${SECRETS['redis-sfu-password']}`);
    expect(sfu.rtc.announcedAddress).toBe(FIELDS['status.hostIP']);
    // The autoscaler, with signaling's user.
    const autoscaler = loadAutoscalerConfig({
      ...(find(all, 'ConfigMap', 'visita-autoscaler').data as Record<string, string>),
      ...containerEnv(all, container('autoscaler')),
    });
    expect(autoscaler.redis.sentinels).toHaveLength(3);
    expect(autoscaler.redis.sentinelPassword).toBe(SECRETS['redis-sentinel-password']);
    expect(userOf(autoscaler.redis.url)).toBe(`signaling:${SECRETS['redis-signaling-password']}`);

    // The nightly backup: a snapshot from the current primary, as the administrator, encrypted.
    const cron = find(all, 'CronJob', 'redis-backup').spec;
    expect(cron).toMatchObject({ schedule: '30 2 * * *', concurrencyPolicy: 'Forbid' });
    const job = cron.jobTemplate.spec.template.spec;
    const backup = job.containers[0];
    expect(backup.image).toBe(container('signaling').image);
    expect(backup.command).toEqual([
      'node',
      'packages/signaling/src/backup/main.ts',
      'backup',
      '--snapshot',
      '--to',
      '/backups',
      '--keep',
      '30',
    ]);
    expect(existsSync(join(ROOT, backup.command[1]))).toBe(true);
    expect(backup.env.find((e: Yaml) => e.name === 'VISITA_BACKUP_KEY').valueFrom.secretKeyRef).toEqual({
      name: 'visita-secrets',
      key: 'backup-key',
    });
    const backupEnv = containerEnv(all, backup);
    expect(userOf(backupEnv['VISITA_REDIS_URL'] as string)).toBe(`default:${SECRETS['redis-admin-password']}`);
    expect(backupEnv['VISITA_REDIS_SENTINEL_PASSWORD']).toBe(SECRETS['redis-sentinel-password']);
    expect(backup.volumeMounts).toEqual([{ name: 'backups', mountPath: '/backups' }]);
    expect(job.volumes[0].persistentVolumeClaim.claimName).toBe('visita-backups');
    expect(find(all, 'PersistentVolumeClaim', 'visita-backups').spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '50Gi' } },
    });

    // Everyone uses the same sentinels: the StatefulSet's pods, by their stable names.
    const replicas = find(all, 'StatefulSet', 'redis').spec.replicas;
    expect(SENTINELS.split(',')).toEqual(Array.from({ length: replicas }, (_, i) => `redis-${i}.redis:26379`));
    for (const c of [container('signaling'), container('sfu'), container('autoscaler'), backup])
      expect(containerEnv(all, c)['VISITA_REDIS_SENTINELS'], c.name).toBe(SENTINELS);
    // Who reaches Redis and the sentinels: the services, the backup, the Redis pods, the nodes' range.
    const policy = find(all, 'NetworkPolicy', 'redis-from-visita').spec;
    expect(policy.podSelector.matchLabels['app.kubernetes.io/name']).toBe('redis');
    const [fromPods, fromNodes] = policy.ingress;
    expect(fromPods.from.map((f: Yaml) => f.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual([
      'autoscaler',
      'redis',
      'redis-backup',
      'signaling',
    ]);
    expect(cron.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('redis-backup');
    for (const rule of [fromPods, fromNodes]) expect(rule.ports).toEqual([{ port: 'redis' }, { port: 'sentinel' }]);
    expect(fromNodes.from[0].ipBlock.cidr).toBeDefined();

    // Every key read from visita-secrets is one the README's `kubectl create secret` makes.
    const readme = readFileSync(join(ROOT, 'infra/k8s/README.md'), 'utf8');
    const created = new Set([...readme.matchAll(/--from-literal=([a-z0-9-]+)=/g)].map((m) => m[1]!));
    expect(created).toEqual(secretKeys(all));
    expect(created).toEqual(new Set(Object.keys(SECRETS)));
  });
});

it('is strict: a misspelled field, a wrong type or a field of another API version is refused', () => {
  const text = render('infra/k8s/base');
  const broken = [
    text.replace('cooldownPeriod: 600', 'cooldownPeriodz: 600'), // KEDA ScaledObject
    text.replace('terminationGracePeriodSeconds: 2100', 'terminationGracePeriodSeconds: "2100"'),
    text.replace('minReplicas: 2', 'minReplicas: 2\n  targetCPUUtilizationPercentage: 70'), // autoscaling/v1 in v2
  ];
  for (const b of broken) {
    expect(b).not.toBe(text);
    expect(validate(b).invalid).toHaveLength(1);
  }
});
