import { readFileSync } from 'node:fs';

// Compares two V8 heap snapshots (.heapsnapshot, as v8.writeHeapSnapshot() writes them) by
// constructor: how many objects of each kind, and their own size, were added between the two.
// Usage: node scripts/heapDiff.ts before.heapsnapshot after.heapsnapshot [top=30]
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byKind(file: string): Map<string, { count: number; size: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = s.snapshot.meta.node_types[0];
  const kinds = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!] ?? '?';
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? ''
        : s.strings[s.nodes[i + nameAt]!];
    const key = `${type}: ${(name ?? '').slice(0, 80)}`;
    const k = kinds.get(key) ?? { count: 0, size: 0 };
    k.count++;
    k.size += s.nodes[i + sizeAt]!;
    kinds.set(key, k);
  }
  return kinds;
}

const [beforeFile, afterFile, topArg] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error('usage: heapDiff.ts before.heapsnapshot after.heapsnapshot [top]');
const before = byKind(beforeFile);
const after = byKind(afterFile);
const rows = [...after.entries()]
  .map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, size: 0 };
    return { key, count: a.count - b.count, size: a.size - b.size };
  })
  .sort((x, y) => y.size - x.size)
  .slice(0, Number(topArg ?? 30));
for (const r of rows) console.log(`${String(r.size).padStart(10)} B ${String(r.count).padStart(8)}  ${r.key}`);
