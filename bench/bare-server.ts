/**
 * The intake baseline: a bare fastify route that validates the same body with the same zod
 * schema and answers 201, with no auth, no store and no logging. Prints its URL when listening.
 */
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { FileReportBody } from '../services/http/schemas.js';

const app = Fastify({ logger: false });
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);
app.withTypeProvider<ZodTypeProvider>().post('/reports', { schema: { body: FileReportBody } }, async (request, reply) =>
  reply.code(201).send({ reportId: request.body.reportId ?? randomUUID(), position: '0', revision: 0 }),
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${url}`);
