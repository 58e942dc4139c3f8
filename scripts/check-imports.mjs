#!/usr/bin/env node
// Imports point inward: domain imports nothing of ours but domain and no I/O; projections use only
// domain; infra never uses services. Fails with one line per offending import.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rules = {
  domain: { layers: ['domain'], banned: /^(node:|fs$|path$|crypto$|fastify|@fastify|pino|ioredis|bullmq|better-sqlite3|@eventstore|ws$)/ },
  projections: { layers: ['domain', 'projections'], banned: /^(node:|fastify|@fastify|pino|ioredis|bullmq|better-sqlite3|@eventstore|ws$)/ },
  infra: { layers: ['domain', 'infra'], banned: /^(fastify|@fastify)/ },
};
const walk = (dir) =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
const problems = [];
for (const [layer, rule] of Object.entries(rules)) {
  for (const file of existsSync(join(root, layer)) ? walk(join(root, layer)) : []) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) {
        const target = relative(root, join(file, '..', spec)).split('/')[0];
        if (!rule.layers.includes(target)) problems.push(`${relative(root, file)}: imports ${spec} (${layer} may not use ${target})`);
      } else if (rule.banned.test(spec)) {
        problems.push(`${relative(root, file)}: imports ${spec} (${layer} does no I/O of that kind)`);
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('imports point inward');
