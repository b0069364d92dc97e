// Keeps one service of `make start` running, as Kubernetes keeps a pod's container: when it exits
// (crash, kill, OOM) it is started again after a back-off, and the terminal is told.
//
//   node scripts/supervise.ts --name redis --log FILE [--pidfile FILE] [--stop-signal SIGTERM]
//        [--stop-timeout-s 10] -- command args...
//
// The service runs in a session of its own, so Ctrl-C at the terminal does not reach it: the caller
// (scripts/start.sh) stops the services in order by sending SIGTERM (or SIGHUP) to each supervisor,
// which then sends the service its stop signal once, and SIGKILL after the stop timeout. SIGINT is
// ignored here for that reason. The service gets the stop signal by itself if this supervisor dies
// (setpriv --pdeathsig), so a killed `make start` leaves nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { restartDelayMs, STEADY_AFTER_MS, describeExit } from './superviseRules.ts';

const split = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, split < 0 ? undefined : split),
  options: {
    name: { type: 'string' },
    log: { type: 'string' },
    pidfile: { type: 'string' },
    'stop-signal': { type: 'string', default: 'SIGTERM' },
    'stop-timeout-s': { type: 'string', default: '10' },
  },
});
const command = split < 0 ? [] : process.argv.slice(split + 1);
const name = values.name;
const stopSignal = values['stop-signal'] as NodeJS.Signals;
const stopTimeoutMs = Number(values['stop-timeout-s']) * 1000;
if (!name || !values.log || command.length === 0 || !/^SIG[A-Z]+$/.test(stopSignal) || !(stopTimeoutMs > 0)) {
  console.error(
    'usage: supervise.ts --name N --log FILE [--pidfile F] [--stop-signal SIG] [--stop-timeout-s S] -- cmd ...',
  );
  process.exit(2);
}
const logFile = values.log;

const time = () => new Date().toTimeString().slice(0, 8);
/** To the terminal (as scripts/lib.sh's step) and to the service's own log. */
function say(line: string, level: 'info' | 'warn' = 'info'): void {
  const colour = level === 'warn' ? '\x1b[33m' : '\x1b[1m';
  process.stderr.write(`${colour}[visita ${time()}]\x1b[0m ${line}\n`);
  const fd = openSync(logFile, 'a');
  writeSync(fd, `[supervisor ${new Date().toISOString()}] ${line}\n`);
  closeSync(fd);
}

let child: ChildProcess | undefined;
let startedAt = 0;
let quickExits = 0;
let restarts = 0;
let stopping = false;
let pending: NodeJS.Timeout | undefined;

function start(): void {
  const out = openSync(logFile, 'a');
  // setpriv: the service gets its stop signal if this process dies without stopping it.
  const proc = spawn('setpriv', ['--pdeathsig', stopSignal, '--', ...command], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  child = proc;
  startedAt = Date.now();
  if (proc.pid !== undefined && values.pidfile) writeFileSync(values.pidfile, `${proc.pid}\n`);
  proc.once('error', (e) => onExit(proc, null, null, e.message));
  proc.once('exit', (code, signal) => onExit(proc, code, signal));
}

function onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: string): void {
  if (child !== proc) return; // 'error' and 'exit' both report a failed spawn
  child = undefined;
  if (stopping) return finish(code);
  const ranMs = Date.now() - startedAt;
  quickExits = ranMs >= STEADY_AFTER_MS ? 1 : quickExits + 1;
  const delay = restartDelayMs(quickExits);
  restarts++;
  say(
    `${name} ${error ? `could not start (${error})` : describeExit(code, signal)} after ${(ranMs / 1000).toFixed(1)} s: ` +
      `restarting it in ${delay / 1000} s (restart ${restarts}; log: ${logFile})`,
    'warn',
  );
  pending = setTimeout(() => {
    pending = undefined;
    if (stopping) return finish(code);
    start();
    say(`${name} restarted (pid ${child?.pid ?? '?'})`);
  }, delay);
}

function finish(code: number | null): void {
  if (values.pidfile) rmSync(values.pidfile, { force: true });
  process.exit(code ?? 0);
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  if (pending) {
    clearTimeout(pending);
    return finish(0);
  }
  const proc = child;
  if (!proc?.pid) return finish(0);
  process.kill(proc.pid, stopSignal);
  setTimeout(() => {
    if (child === proc && proc.pid) {
      say(`${name} did not stop within ${stopTimeoutMs / 1000} s: killed`, 'warn');
      process.kill(proc.pid, 'SIGKILL');
    }
  }, stopTimeoutMs).unref();
}

process.on('SIGTERM', stop);
process.on('SIGHUP', stop);
process.on('SIGINT', () => undefined); // Ctrl-C is the caller's: it stops the services in order
start();
