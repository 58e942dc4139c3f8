import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir)) {
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map(); let total = 0;
  p.samples.forEach((id, i) => { const d = p.timeDeltas[i] ?? 0; counts.set(id, (counts.get(id) ?? 0) + d); total += d; });
  const key = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
  const self = new Map(), incl = new Map();
  for (const [id, t] of counts) { self.set(key(byId.get(id)), (self.get(key(byId.get(id))) ?? 0) + t); const seen = new Set(); for (let cur = id; cur !== undefined; cur = parent.get(cur)) { const k = key(byId.get(cur)); if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + t); } } }
  console.log(f, 'total ms', (total / 1000).toFixed(0));
  console.log('SELF'); [...self].sort((a, b) => b[1] - a[1]).slice(0, +process.argv[3]).forEach(([k, t]) => console.log((t / 1000).toFixed(1).padStart(8), k));
  console.log('INCL'); [...incl].sort((a, b) => b[1] - a[1]).slice(0, +process.argv[4]).forEach(([k, t]) => console.log((t / 1000).toFixed(1).padStart(8), k));
}
