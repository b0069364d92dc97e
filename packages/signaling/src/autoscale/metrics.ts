import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AutoscalerObserver } from './Autoscaler.ts';

/**
 * The autoscaler's Prometheus metrics. `visita_autoscaler_desired_sfu_nodes` is what KEDA scales
 * the SFU Deployment on (infra/k8s/base/sfu-scaler.yaml: max over the candidates; only the leader
 * sets it, the others report 0).
 */
export class AutoscalerMetrics {
  readonly registry = new Registry();
  readonly observer: AutoscalerObserver;
  readonly startup: Histogram;

  constructor(instanceId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ instance_id: instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'visita_autoscaler_' });
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    const leader = gauge('visita_autoscaler_leader', '1 while this candidate holds the autoscaler lease');
    const desired = gauge('visita_autoscaler_desired_sfu_nodes', 'SFU nodes the demand needs (the leader only)');
    const serving = gauge('visita_autoscaler_serving_sfu_nodes', 'SFU nodes serving (not starting, not draining)');
    const starting = gauge('visita_autoscaler_starting_sfu_nodes', 'SFU nodes asked for and not serving yet');
    const draining = gauge('visita_autoscaler_draining_sfu_nodes', 'SFU nodes draining');
    const calls = gauge('visita_autoscaler_demand_calls', 'Consultations in a call');
    // Counted: a practitioner online, at most waitingPerPractitioner each (decide.ts waitingDemand).
    const waiting = gauge('visita_autoscaler_demand_waiting', 'Waiting patients counted as calls to come');
    const waitingAll = gauge('visita_autoscaler_waiting_patients', 'Patients waiting, counted or not');
    const growth = gauge(
      'visita_autoscaler_demand_waiting_growth_per_minute',
      'Change of the waiting count per minute',
    );
    const delayed = gauge('visita_autoscaler_demand_admissions_waiting', 'Admissions waiting for a node with room');
    const actions = new Counter({
      name: 'visita_autoscaler_actions_total',
      help: 'Scale-outs and scale-ins carried out',
      labelNames: ['action'] as const,
      registers,
    });
    const nodes = new Counter({
      name: 'visita_autoscaler_nodes_total',
      help: 'SFU nodes asked for (scale_out) and drained (scale_in)',
      labelNames: ['action'] as const,
      registers,
    });
    this.startup = new Histogram({
      name: 'visita_autoscaler_node_startup_seconds',
      help: 'From asking for an SFU node to it serving',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
    this.observer = {
      leader: (isLeader) => {
        leader.set(isLeader ? 1 : 0);
        if (!isLeader) desired.set(0);
      },
      tick: (t) => {
        desired.set(t.decision.required);
        serving.set(t.serving);
        starting.set(t.starting);
        draining.set(t.draining);
        calls.set(t.activeCalls);
        waiting.set(t.waiting);
        waitingAll.set(t.waitingAll);
        growth.set(t.growthPerMin);
        delayed.set(t.admissionsWaiting);
        if (t.decision.action === 'scaleOut') {
          actions.inc({ action: 'scale_out' });
          nodes.inc({ action: 'scale_out' }, t.decision.add);
        } else if (t.decision.action === 'scaleIn') {
          actions.inc({ action: 'scale_in' });
          nodes.inc({ action: 'scale_in' }, t.decision.drain.length);
        }
      },
    };
  }
}
