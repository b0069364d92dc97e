import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisEnv, redisEndpoint, redisOptions } from '@visita/protocol/redis';
import { AccountRole, VisitaError } from '@visita/protocol';
import { addAccount, resetTwoFactor, setAccountPassword } from './accounts/manage.ts';
import { loadSignalingConfig, type SignalingConfig } from './config.ts';
import { PlanBook } from './metering/PlanBook.ts';
import { RedisAccountStore } from './store/RedisAccountStore.ts';
import { RedisSessionRevocations } from './store/RedisSessionRevocations.ts';
import { accountSeal } from './accounts/accountSeal.ts';
import { SecretBox } from './accounts/SecretBox.ts';

// `bin/visita practitioner add --email E --name N [--role ops] (--password-env VAR | --password-stdin) [--if-missing]`
// `bin/visita practitioner set-password --email E (--password-env VAR | --password-stdin)`
// `bin/visita practitioner set-plan --email E --plan P`
// `bin/visita practitioner reset-2fa --email E` (a lost phone: the next login asks for the password only)
// Talks to the Redis at VISITA_REDIS_URL (bin/visita defaults it to make start's Redis).
const usage = `usage:
  visita practitioner add --email EMAIL --name NAME [--role practitioner|ops] (--password-env VAR | --password-stdin) [--if-missing]
  visita practitioner set-password --email EMAIL (--password-env VAR | --password-stdin)
  visita practitioner set-plan --email EMAIL --plan PLAN_ID   (plans: VISITA_PLANS, as signaling reads it)
  visita practitioner reset-2fa --email EMAIL   (removes two-factor authentication: a lost phone)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', default: 'practitioner' },
    'password-env': { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    'if-missing': { type: 'boolean', default: false },
    plan: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`visita: ${message}`);
  process.exit(2);
}

/** Accounts are sealed with signaling's keys (VISITA_DATA_KEY, else the JWT keys), read as signaling reads them. */
function accountKeys(): SecretBox {
  const config = signalingConfig();
  return new SecretBox({ dataKey: config.dataKey, jwtKeys: config.jwtKeys });
}

/** Signaling's configuration as this environment gives it (the keys, the session lifetimes). */
function signalingConfig(): SignalingConfig {
  const env = process.env;
  if (!env['VISITA_DATA_KEY'] && !env['VISITA_JWT_KEYS'] && !env['VISITA_JWT_SECRET']) {
    fail(
      "set VISITA_JWT_SECRET (or VISITA_JWT_KEYS, VISITA_DATA_KEY) as signaling has it: accounts are sealed with it (bin/visita reads make start's)",
    );
  }
  try {
    return loadSignalingConfig({ ...env, VISITA_SFU_SECRET: env['VISITA_SFU_SECRET'] ?? 'x'.repeat(16) });
  } catch (e) {
    return fail((e as Error).message);
  }
}

async function readPassword(): Promise<string> {
  if (values['password-env']) {
    const v = process.env[values['password-env']];
    if (!v) fail(`environment variable ${values['password-env']} is empty`);
    return v;
  }
  if (values['password-stdin']) {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  return fail('give the password with --password-env VAR or --password-stdin (never on the command line)');
}

const [group, command] = positionals;
if (values.help || group !== 'practitioner' || !command) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
if (!values.email) fail('--email is required');
const redisEnv = z.object(RedisEnv).safeParse(process.env);
if (!redisEnv.success)
  fail(`invalid Redis settings: ${redisEnv.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
const endpoint = redisEndpoint(redisEnv.data);
const redis = new Redis(redisOptions(endpoint, { connectionName: 'cli' }));
redis.on('error', () => undefined);
const store = new RedisAccountStore(redis, accountSeal(accountKeys()), () =>
  fail(
    `the account record of ${values.email} was changed outside Visita (its seal does not verify); set its password again to re-seal it`,
  ),
);
try {
  await redis
    .ping()
    .catch(() =>
      fail(
        `cannot reach Redis ${endpoint.sentinels ? `through the sentinels ${process.env['VISITA_REDIS_SENTINELS']}` : `at ${new URL(endpoint.url).host}`}`,
      ),
    );
  if (command === 'add') {
    if (values['if-missing'] && (await store.findByEmail(values.email))) {
      console.log(`account ${values.email} exists; left as it is`);
    } else {
      const account = await addAccount(store, {
        email: values.email,
        name: values.name ?? '',
        role: role(values.role),
        password: await readPassword(),
      });
      console.log(`created ${account.role} account ${account.email} (${account.id})`);
    }
  } else if (command === 'set-password') {
    if (await setAccountPassword(store, values.email, await readPassword()))
      console.log(`password of ${values.email} changed; ${await endSessions(values.email)}`);
    else console.log(`password of ${values.email} set again (the same): its sessions go on`);
  } else if (command === 'set-plan') {
    if (!values.plan) fail('--plan is required');
    const account = await store.findByEmail(values.email);
    if (!account) fail(`no account with email ${values.email}`);
    const config = loadSignalingConfig({
      ...process.env,
      VISITA_JWT_SECRET: 'x'.repeat(32),
      VISITA_SFU_SECRET: 'x'.repeat(16),
    });
    await new PlanBook(redis, config.plans).assign(account.id, values.plan);
    console.log(`${values.email} is on plan ${values.plan}`);
  } else if (command === 'reset-2fa') {
    const had = await resetTwoFactor(store, values.email);
    console.log(
      had
        ? `two-factor authentication of ${values.email} removed: the next login asks for the password only; ${await endSessions(values.email)}`
        : `${values.email} had no two-factor authentication; nothing changed`,
    );
  } else {
    fail(`unknown command "${command}"\n${usage}`);
  }
} catch (e) {
  fail(e instanceof VisitaError ? e.message : (e as Error).message);
} finally {
  redis.disconnect();
}

/**
 * Ends every session of the account (its credentials changed, or its phone was lost): refresh and
 * access tokens refused from now on, sockets refused when they next connect.
 */
async function endSessions(email: string): Promise<string> {
  const id = await store.idByEmail(email);
  if (!id) return 'no session to end';
  const c = signalingConfig();
  const lifetimeMs = Math.max(c.accessTokenTtlS, Math.min(c.refreshTokenTtlS, c.idleTimeoutS)) * 1000;
  const ended = await new RedisSessionRevocations(redis).revokeAllBut(id, '', lifetimeMs);
  return `${ended.length} open session${ended.length === 1 ? '' : 's'} ended`;
}

function role(value: string | undefined): AccountRole {
  const parsed = AccountRole.safeParse(value);
  if (!parsed.success) fail(`--role must be ${AccountRole.options.join(' or ')}`);
  return parsed.data;
}
