// The live view ops watch during a surge (role ops): each SFU node's load against its capacity,
// calls in progress, waiting rooms and their longest waits, admissions waiting for capacity, and
// what the autoscaler is doing. Refreshed every 2 s.
import { Fragment, useEffect, useState, type ReactNode } from 'react';
import type { OpsStatus, VisitaError as RequestError } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { duration, number, percent, timeOfDay } from '../../lib/format.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { Panel } from '../../ui/Panel.tsx';

const REFRESH_MS = 2_000;

export function OpsPage({ t, isOps }: { t: Strings; isOps: boolean }) {
  const [status, setStatus] = useState<OpsStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!isOps) return;
    let live = true;
    const load = () =>
      api.opsStatus().then(
        (s) => {
          if (!live) return;
          setStatus(s);
          setError(null);
        },
        (e: RequestError) => live && setError(errorText(t, e.code)),
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [isOps, t]);

  if (!isOps)
    return (
      <Panel title={t.opsTitle}>
        <p role="alert">{t.opsOnly}</p>
      </Panel>
    );
  const pct = (ratio: number) => percent(t.locale, ratio);
  const cores = (cpu: number) => number(t.locale, cpu, 2);
  return (
    <Panel title={t.opsTitle} wide>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {status && (
        <>
          <dl className="figures">
            <div>
              <dt>{t.opsCalls}</dt>
              <dd data-testid="ops-calls">{status.callsInProgress}</dd>
            </div>
            <div>
              <dt>{t.opsWaiting}</dt>
              <dd data-testid="ops-waiting">{status.waiting.total}</dd>
            </div>
            <div>
              <dt>{t.opsDelayed}</dt>
              <dd data-testid="ops-delayed">{status.admissionsWaiting}</dd>
            </div>
            <div>
              <dt>{t.opsAutoscaler}</dt>
              <dd data-testid="ops-autoscaler">
                {status.autoscaler
                  ? t.opsAutoscalerState(
                      status.autoscaler.serving,
                      status.autoscaler.starting,
                      status.autoscaler.desired,
                    )
                  : t.opsNoAutoscaler}
              </dd>
            </div>
          </dl>
          <h2>{t.opsNodes}</h2>
          {/* Wider than a phone: it scrolls inside its box, the page does not. */}
          <ScrollRegion label={t.opsNodes}>
            <table className="usage" data-testid="ops-nodes">
              <thead>
                <tr>
                  <th scope="col">{t.opsNode}</th>
                  <th scope="col">{t.opsState}</th>
                  <th scope="col">{t.opsWorkers}</th>
                  <th scope="col">{t.opsRooms}</th>
                  <th scope="col">{t.opsProbes}</th>
                  <th scope="col">{t.opsLoad}</th>
                  <th scope="col">{t.opsCpu}</th>
                </tr>
              </thead>
              <tbody>
                {status.nodes.map((n) => {
                  // Each worker takes an equal share of the node's capacity.
                  const perWorkerMax = Math.max(1, Math.floor(n.maxConsumers / Math.max(1, n.workers)));
                  return (
                    <Fragment key={n.nodeId}>
                      <tr data-testid="ops-node">
                        <th scope="row">{n.nodeId}</th>
                        <td>{n.state === 'serving' ? t.opsServing : t.opsDraining}</td>
                        <td>{n.workers}</td>
                        <td>{n.rooms}</td>
                        <td>{n.probes ?? '–'}</td>
                        <LoadCell
                          used={n.consumers}
                          max={n.maxConsumers}
                          label={`${t.opsLoad} ${n.nodeId}`}
                          pct={pct}
                        />
                        <td>{cores(n.cpu)}</td>
                      </tr>
                      {n.perWorker?.map((w, i) => {
                        const name = t.opsWorker(i + 1, w.pid);
                        return (
                          <tr key={w.pid} className="sub" data-testid="ops-worker">
                            <th scope="row">{name}</th>
                            <td />
                            <td />
                            <td>{w.rooms}</td>
                            <td />
                            <LoadCell
                              used={w.consumers}
                              max={perWorkerMax}
                              label={`${t.opsLoad} ${n.nodeId}, ${name}`}
                              pct={pct}
                            />
                            <td>{cores(w.cpu)}</td>
                          </tr>
                        );
                      })}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </ScrollRegion>
          {status.nodes.length === 0 && <p className="error">{t.opsNoNodes}</p>}
          <h2>{t.opsWaitingRooms}</h2>
          {status.waiting.practitioners.length === 0 ? (
            <p>{t.emptyWaitingRoom}</p>
          ) : (
            <ScrollRegion label={t.opsWaitingRooms}>
              <table className="usage" data-testid="ops-queues">
                <thead>
                  <tr>
                    <th scope="col">{t.doctorTitle}</th>
                    <th scope="col">{t.opsWaiting}</th>
                    <th scope="col">{t.opsLongestWait}</th>
                  </tr>
                </thead>
                <tbody>
                  {status.waiting.practitioners.map((p) => (
                    <tr key={p.practitionerId}>
                      <th scope="row">{p.name ?? p.practitionerId}</th>
                      <td>{p.waiting}</td>
                      <td>{duration(t.locale, p.longestWaitMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
          <p className="hint">
            {t.opsUpdated(timeOfDay(t.locale, status.at))} <a href="/usage">{t.usage}</a>
          </p>
        </>
      )}
    </Panel>
  );
}

/** A table's box that scrolls sideways on a phone (the page does not), reachable by keyboard. */
function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must take the focus (axe scrollable-region-focusable).
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** Consumers against a capacity: a meter (high from 80 %) and the figures. */
function LoadCell({
  used,
  max,
  label,
  pct,
}: {
  used: number;
  max: number;
  label: string;
  pct: (ratio: number) => string;
}) {
  const load = used / max;
  return (
    <td>
      <meter min={0} max={1} high={0.8} value={load} aria-label={label} /> {used}/{max} ({pct(load)})
    </td>
  );
}
