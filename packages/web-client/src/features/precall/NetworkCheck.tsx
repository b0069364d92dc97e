// The device check's network line: tests the path to the media server once the page is up (the
// test's code loads then), says what it found in words, and lets the patient test again. It never
// blocks joining the waiting room.
import { useCallback, useEffect, useState } from 'react';
import type { NetworkGrade } from '@visita/protocol';
import { percent, withUnit } from '../../lib/format.ts';
import type { Strings } from '../../lib/i18n.ts';
import type { NetworkTestResult } from './networkTest.ts';

type State = { status: 'testing' } | { status: 'done'; result: NetworkTestResult };

export function NetworkCheck({
  t,
  token,
  consultationId,
  onGrade,
}: {
  t: Strings;
  token: string;
  consultationId: string;
  onGrade: (grade: NetworkGrade | null) => void;
}) {
  const [state, setState] = useState<State>({ status: 'testing' });
  const [run, setRun] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of `run` starts a new test.
  useEffect(() => {
    const abort = new AbortController();
    setState({ status: 'testing' });
    onGrade(null);
    void import('./networkTest.ts')
      .then(({ testNetwork }) => testNetwork(token, consultationId, abort.signal))
      .then(
        (result) => {
          setState({ status: 'done', result });
          onGrade(result.grade === 'unavailable' ? null : result.grade);
        },
        () => undefined, // abandoned (the patient went on), or the code could not load: nothing to say
      );
    return () => abort.abort();
  }, [token, consultationId, run, onGrade]);
  const again = useCallback(() => setRun((n) => n + 1), []);

  const result = state.status === 'done' ? state.result : null;
  const grade = result?.grade ?? 'testing';
  const text =
    grade === 'testing'
      ? t.networkTesting
      : {
          good: t.networkGood,
          fair: t.networkFair,
          poor: t.networkPoor,
          failed: t.networkFailed,
          unavailable: t.networkUnavailable,
        }[grade];
  const details =
    result && result.grade !== 'unavailable' && result.grade !== 'failed'
      ? t.networkDetails(
          result.rttMs === null ? null : withUnit(t.locale, result.rttMs, 'ms'),
          result.uploadKbps === null ? null : withUnit(t.locale, result.uploadKbps / 1000, 'Mbit/s', 1),
          result.lossRatio === null ? null : percent(t.locale, result.lossRatio, 1),
        )
      : null;
  return (
    <section
      className="network-check"
      aria-labelledby="network-check-title"
      data-testid="network-test"
      data-status={grade}
      data-path={result && 'path' in result && result.path ? `${result.path.type}/${result.path.protocol}` : undefined}
      data-rtt={result && 'rttMs' in result && result.rttMs !== null ? Math.round(result.rttMs) : undefined}
    >
      <h2 id="network-check-title">{t.networkTitle}</h2>
      <p role="status" className={grade === 'poor' || grade === 'failed' ? 'notice' : undefined}>
        {grade !== 'testing' && grade !== 'unavailable' && (
          <span className={`dot net-${grade === 'failed' ? 'poor' : grade}`} aria-hidden="true" />
        )}
        {text}
      </p>
      {/* A plain sentence for the patient; the figures for whoever helps them. */}
      {details && (
        <details className="network-details" data-testid="network-details">
          <summary>{t.networkShowDetails}</summary>
          <p className="hint">{details}</p>
        </details>
      )}
      {state.status === 'done' && (
        <button className="secondary" data-testid="network-retry" onClick={again}>
          {t.networkRetry}
        </button>
      )}
    </section>
  );
}
