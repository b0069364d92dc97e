// After the curve: waits until the autoscaler has scaled back in through drains (every node above
// the minimum drained and gone), or gives up after the cooldown plus 2 minutes. Reads Prometheus.
import { instant } from './prom.ts';

const cooldownS = Number(process.env['VISITA_AUTOSCALE_COOLDOWN_S'] ?? 30);
const min = Number(process.env['VISITA_AUTOSCALE_MIN_NODES'] ?? 1);
const deadline = Date.now() + (cooldownS + 120) * 1000;
for (;;) {
  const [serving, starting, draining, drained, added] = await Promise.all([
    instant('max(visita_autoscaler_serving_sfu_nodes)'),
    instant('max(visita_autoscaler_starting_sfu_nodes)'),
    instant('max(visita_autoscaler_draining_sfu_nodes)'),
    instant('max(visita_autoscaler_nodes_total{action="scale_in"})'),
    instant('max(visita_autoscaler_nodes_total{action="scale_out"})'),
  ]);
  // Only the minimum was ever started (its first node): nothing to scale back in.
  if ((added ?? 0) <= min && serving !== null && serving <= min && !draining) {
    console.log('no scale-out happened: nothing to scale in');
    process.exitCode = 1;
    break;
  }
  if (serving !== null && serving <= min && starting === 0 && draining === 0 && (drained ?? 0) > 0) {
    console.log(`scaled back in: ${serving} node(s) serving, ${drained} drained`);
    break;
  }
  if (Date.now() > deadline) {
    console.log(
      `no full scale-in within ${cooldownS + 120} s: serving ${serving}, draining ${draining}, drained ${drained}`,
    );
    process.exitCode = 1;
    break;
  }
  await new Promise((r) => setTimeout(r, 1_000));
}
