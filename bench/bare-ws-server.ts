/**
 * The alert-latency baseline: a bare ws server. Clients connect with ?township=CODE; a POST
 * /reports {township, frame} broadcasts that frame (already serialized) to that township's
 * sockets. No auth, no log, no store: the floor a real alert path is compared with.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const byTownship = new Map<string, Set<WebSocket>>();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const { township, frame } = JSON.parse(body) as { township: string; frame: string };
    for (const socket of byTownship.get(township) ?? []) socket.send(frame);
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
const wss = new WebSocketServer({ server, path: '/alerts/ws' });
wss.on('connection', (socket, req) => {
  const township = new URL(req.url ?? '/', 'http://x').searchParams.get('township') ?? '';
  let set = byTownship.get(township);
  if (!set) byTownship.set(township, (set = new Set()));
  set.add(socket);
  socket.send(JSON.stringify({ type: 'hello', position: '' }));
  socket.on('close', () => set!.delete(socket));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`listening http://127.0.0.1:${address.port}`);
});
