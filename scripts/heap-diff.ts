/**
 * What grew between two V8 heap snapshots of one process, and what holds it.
 *
 *   npx tsx scripts/heap-diff.ts before.heapsnapshot after.heapsnapshot [--top 25] [--chains 3] [--key <kind:name>]
 *
 * Lists kinds of object (by constructor for objects, closures and native
 * objects; by V8 type for the rest) whose count or self size grew, biggest
 * growth first. For the kinds that grew most (or the one named with --key),
 * it prints the retainer chain, from a GC root, of a few objects that exist
 * only in the later snapshot: node ids stay the same across the snapshots of
 * one process, so "new" means made after the first snapshot and still alive.
 * Chains follow strong edges only (no weak ones), shortest first, which is
 * what keeps the object alive.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Heap {
  readonly count: number;
  type(n: number): string;
  name(n: number): string;
  id(n: number): number;
  selfSize(n: number): number;
  key(n: number): string;
  /** For each node, the edge by which a breadth-first walk from the root first reached it (-1: not reached). */
  parents(): { parentNode: Int32Array; parentEdgeName: string[] };
  /** Every strong edge to `n`, as `<retainer kind>.<edge name>`: a chain shows one path, this the others beside it. */
  retainers(n: number): string[];
}

function load(file: string): Heap {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const meta = snap.snapshot.meta;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / width;
  const firstEdge = new Int32Array(count + 1);
  for (let n = 0; n < count; n++) firstEdge[n + 1] = firstEdge[n]! + nodes[n * width + edgeCountAt]! * edgeWidth;

  const heap: Heap = {
    count,
    type: (n) => nodeTypes[nodes[n * width + typeAt]!]!,
    name: (n) => strings[nodes[n * width + nameAt]!]!,
    id: (n) => nodes[n * width + idAt]!,
    selfSize: (n) => nodes[n * width + sizeAt]!,
    key(n) {
      const type = heap.type(n);
      if (type === 'object' || type === 'closure' || type === 'native') return `${type}:${heap.name(n)}`;
      // A synthetic node is a group of GC roots; its name says which.
      return type === 'synthetic' ? `(${heap.name(n)})` : `(${type})`;
    },
    retainers(target) {
      const found: string[] = [];
      for (let n = 0; n < count; n++) {
        for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += edgeWidth) {
          if (edges[e + edgeToAt]! / width !== target) continue;
          const edgeType = edgeTypes[edges[e + edgeTypeAt]!]!;
          if (edgeType === 'weak' || edgeType === 'shortcut') continue;
          const nameOrIndex = edges[e + edgeNameAt]!;
          found.push(`${heap.key(n)}.${edgeType === 'element' || edgeType === 'hidden' ? `[${nameOrIndex}]` : strings[nameOrIndex]}`);
        }
      }
      return found;
    },
    parents() {
      const parentNode = new Int32Array(count).fill(-1);
      const parentEdgeName: string[] = new Array(count);
      const queue = new Int32Array(count);
      let head = 0;
      let tail = 0;
      queue[tail++] = 0;
      parentNode[0] = 0;
      while (head < tail) {
        const n = queue[head++]!;
        for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += edgeWidth) {
          const edgeType = edgeTypes[edges[e + edgeTypeAt]!]!;
          if (edgeType === 'weak' || edgeType === 'shortcut') continue;
          const to = edges[e + edgeToAt]! / width;
          if (parentNode[to] !== -1) continue;
          parentNode[to] = n;
          const nameOrIndex = edges[e + edgeNameAt]!;
          parentEdgeName[to] = edgeType === 'element' || edgeType === 'hidden' ? `[${nameOrIndex}]` : String(strings[nameOrIndex]);
          queue[tail++] = to;
        }
      }
      return { parentNode, parentEdgeName };
    },
  };
  return heap;
}

function totals(heap: Heap): Map<string, { count: number; bytes: number }> {
  const byKey = new Map<string, { count: number; bytes: number }>();
  for (let n = 0; n < heap.count; n++) {
    const key = heap.key(n);
    const entry = byKey.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.selfSize(n);
    byKey.set(key, entry);
  }
  return byKey;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, chains: { type: 'string', default: '3' }, key: { type: 'string', multiple: true } },
});
const [beforeFile, afterFile] = positionals;
if (!beforeFile || !afterFile) {
  console.error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [--top 25] [--chains 3] [--key <kind:name>]');
  process.exit(2);
}

const before = load(beforeFile);
const beforeTotals = totals(before);
const beforeIds = new Set<number>();
for (let n = 0; n < before.count; n++) beforeIds.add(before.id(n));
const after = load(afterFile);
const afterTotals = totals(after);

const grown = [...afterTotals]
  .map(([key, a]) => {
    const b = beforeTotals.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: a.count - b.count, bytes: a.bytes - b.bytes };
  })
  .filter((g) => g.bytes !== 0 || g.count !== 0)
  .sort((x, y) => y.bytes - x.bytes);
const all = grown.reduce((sum, g) => sum + g.bytes, 0);
console.log(`self size, after - before: ${(all / 1024).toFixed(1)} KiB over ${after.count - before.count} more nodes`);
for (const g of grown.slice(0, Number(values.top))) {
  console.log(`${(g.bytes / 1024).toFixed(1).padStart(10)} KiB ${String(g.count).padStart(8)}  ${g.key}`);
}

const { parentNode, parentEdgeName } = after.parents();
const keys = values.key ?? grown.slice(0, 5).map((g) => g.key);
for (const key of keys) {
  const fresh: number[] = [];
  for (let n = 0; n < after.count && fresh.length < Number(values.chains); n++) {
    // Spread the samples: every 7th new one, not the first few in a row.
    if (after.key(n) === key && !beforeIds.has(after.id(n)) && parentNode[n] !== -1 && after.id(n) % 7 === 0) fresh.push(n);
  }
  console.log(`\n${key}: ${fresh.length ? 'retainer chains of objects made after the first snapshot' : 'no new reachable object sampled'}`);
  for (const n of fresh) {
    const chain: string[] = [];
    for (let at = n; at !== 0 && chain.length < 40; at = parentNode[at]!) {
      chain.push(`${after.key(at)}${after.type(at) === 'string' ? ` "${after.name(at).slice(0, 40)}"` : ''} <-${parentEdgeName[at]}-`);
    }
    console.log(`  ${chain.join(' ')} (root)`);
    // The object's own retainers and its first retainer's: who else holds what leaks.
    const next = parentNode[n]!;
    console.log(`    held by ${after.retainers(n).slice(0, 8).join(', ')}; that by ${after.retainers(next).slice(0, 8).join(', ')}`);
  }
}
