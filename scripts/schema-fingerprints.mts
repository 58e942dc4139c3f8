import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENT_SCHEMAS, EVENT_TYPES, SCHEMA_VERSION } from '../domain/events.js';
const out: Record<string, { version: number; fingerprint: string }> = {};
for (const type of EVENT_TYPES) {
  out[type] = { version: SCHEMA_VERSION[type], fingerprint: createHash('sha256').update(JSON.stringify(z.toJSONSchema(EVENT_SCHEMAS[type], { io: 'input', unrepresentable: 'any' }))).digest('hex').slice(0, 16) };
}
console.log(JSON.stringify(out, null, 2));
