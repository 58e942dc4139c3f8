import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseConnectionString, type ConnectionOptions } from '@eventstore/db-client/dist/Client/parseConnectionString.js';
import { loadConfig } from '../../infra/config.js';
import { testDir } from '../support/dirs.js';

// The city's EventStoreDB cluster as deploy/ describes it. No EventStoreDB server runs on these
// machines, so the files are checked against each other, and every connection string against the
// installed client's own parser and zhitong's own configuration check.

const root = join(import.meta.dirname, '../..');
const esdbDir = join(root, 'deploy/eventstoredb');
const read = (path: string) => readFileSync(path, 'utf8');

/** An eventstore.conf: flat `Key: value` lines and comments; anything else is refused. */
function readConf(file: string): Map<string, string> {
  const settings = new Map<string, string>();
  read(file)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^([A-Z][A-Za-z0-9]*):\s+(\S+)$/.exec(line);
      if (!m) throw new Error(`${relative(root, file)}:${i + 1}: not a "Key: value" line: ${raw}`);
      if (settings.has(m[1]!)) throw new Error(`${relative(root, file)}:${i + 1}: ${m[1]} set twice`);
      settings.set(m[1]!, m[2]!);
    });
  return settings;
}

/** What the client makes of a connection string, with anything it warned about (an unknown key is ignored with a warning). */
function parse(url: string): { options: ConnectionOptions; warnings: string[] } {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  try {
    return { options: parseConnectionString(url), warnings };
  } finally {
    console.warn = warn;
  }
}

const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

const NODES = [1, 2, 3] as const;
/** The settings that name the node itself; every other setting must be the same on all three. */
const PER_NODE = ['GossipSeed', 'NodeHostAdvertiseAs', 'ReplicationHostAdvertiseAs', 'CertificateFile', 'CertificatePrivateKeyFile'];

const confs = NODES.map((n) => readConf(join(esdbDir, `node${n}.conf`)));
const endpoint = (c: Map<string, string>) => `${c.get('NodeHostAdvertiseAs')}:${c.get('NodePort')}`;
const compose = read(join(esdbDir, 'docker-compose.yml'));
/** The one name all three nodes answer to, for DNS discovery: the alias every node shares in compose. */
const aliases = NODES.map((n) => {
  const m = new RegExp(`^  es${n}:\\n(?:    .*\\n|\\n)*?        aliases: \\[([^\\]]*)\\]`, 'm').exec(compose);
  return m ? m[1]!.split(',').map((a) => a.trim()) : [];
});
const clusterNames = aliases[0]!.filter((a) => aliases.every((list) => list.includes(a)));

t.test('the three node configurations agree: one cluster of three, each node itself', async (t) => {
  for (const [i, c] of confs.entries()) {
    t.equal(c.get('ClusterSize'), '3', `node${i + 1}: ClusterSize 3`);
    t.equal(c.get('Insecure'), 'false', `node${i + 1}: TLS and authentication on`);
    t.equal(c.get('DiscoverViaDns'), 'false', `node${i + 1}: finds the others by its gossip seeds`);
    t.equal(c.get('NodeHostAdvertiseAs'), c.get('ReplicationHostAdvertiseAs'), `node${i + 1}: one name for clients and for replication`);
    t.ok(c.get('CertificateFile')?.includes(`node${i + 1}/`), `node${i + 1}: its own certificate`);
    t.equal(dirname(c.get('CertificateFile') ?? ''), dirname(c.get('CertificatePrivateKeyFile') ?? '-'), `node${i + 1}: key beside its certificate`);
  }
  const endpoints = confs.map(endpoint);
  t.equal(new Set(endpoints).size, 3, `three distinct nodes: ${endpoints.join(', ')}`);
  t.equal(new Set(confs.map((c) => c.get('CertificateFile'))).size, 3, 'three distinct certificates');
  for (const [i, c] of confs.entries()) {
    const seeds = (c.get('GossipSeed') ?? '').split(',').sort();
    t.same(seeds, endpoints.filter((_, j) => j !== i).sort(), `node${i + 1} gossips with the other two, by the names and ports they advertise`);
  }
  const shared = (c: Map<string, string>) => [...c].filter(([k]) => !PER_NODE.includes(k)).sort();
  t.same(shared(confs[1]!), shared(confs[0]!), 'node2 has node1’s settings but for its own name, seeds and certificate');
  t.same(shared(confs[2]!), shared(confs[0]!), 'node3 has node1’s settings but for its own name, seeds and certificate');
});

t.test('docker-compose.yml runs exactly those files, with certificates for the names they use', async (t) => {
  t.match(compose, /^\s*image: eventstore\/eventstore:24\.10$/m, 'EventStoreDB 24.10');
  t.equal(clusterNames.length, 1, `one name all three nodes answer to (${clusterNames.join(', ')})`);
  for (const [i, c] of confs.entries()) {
    const n = i + 1;
    t.equal(compose.split(`./node${n}.conf:/etc/eventstore/eventstore.conf:ro`).length - 1, 1, `node${n}.conf is es${n}'s configuration`);
    t.ok(compose.includes(`./certs/node${n}:${dirname(c.get('CertificateFile')!)}:ro`), `es${n} gets its certificate where node${n}.conf looks for it`);
    t.ok(compose.includes(`./certs/ca/ca.crt:${c.get('TrustedRootCertificatesPath')}/ca.crt:ro`), `es${n} trusts the cluster CA, from where node${n}.conf looks`);
    t.ok(aliases[i]!.includes(c.get('NodeHostAdvertiseAs')!), `es${n} answers to the name it advertises`);
    const made = new RegExp(`create-node .*-out node${n} -dns-names (\\S+)`).exec(compose);
    const names = made ? made[1]!.split(',') : [];
    t.ok(names.includes(c.get('NodeHostAdvertiseAs')!), `node${n}'s certificate names ${c.get('NodeHostAdvertiseAs')}`);
    t.ok(clusterNames[0] !== undefined && names.includes(clusterNames[0]), `node${n}'s certificate names the cluster, which a discovering client checks`);
  }
  t.notMatch(compose, /- \.\/certs:\/etc\/eventstore/, 'the CA key is not mounted into the nodes');
});

t.test('every EventStoreDB connection string in deploy/ is a TLS connection to the cluster, preferring the leader', async (t) => {
  const env = read(join(esdbDir, 'zhitong.env'));
  const live = env.split('\n').filter((l) => /^[A-Z_]+=/.test(l));
  const setting = (key: string) => live.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  t.ok(setting('EVENTSTORE_URL'), 'zhitong.env sets EVENTSTORE_URL');
  t.equal(setting('EVENTSTORE_MAX_APPEND_SIZE'), confs[0]!.get('MaxAppendSize'), 'zhitong knows the cluster’s MaxAppendSize');

  const found = walk(join(root, 'deploy')).flatMap((file) =>
    [...read(file).matchAll(/esdb(?:\+discover)?:\/\/[^\s`'"<>)|\]]*/g)]
      .map((m) => m[0])
      // The scheme alone, named in prose.
      .filter((url) => !/:\/\/$/.test(url))
      .map((url) => ({ file: relative(root, file), url })),
  );
  const files = new Set(found.map((f) => f.file));
  t.ok(files.has('deploy/eventstoredb/zhitong.env') && files.has('deploy/README.md'), `connection strings in zhitong.env and deploy/README.md (${[...files].join(', ')})`);
  t.ok(found.some((f) => f.url.startsWith('esdb+discover://')) && found.some((f) => f.url.startsWith('esdb://')), 'both forms: discovered and listed');
  t.ok(found.some((f) => f.url === setting('EVENTSTORE_URL')), 'the live setting is among them');

  const endpoints = confs.map(endpoint).sort();
  const dataDir = testDir(t);
  for (const { file, url } of found) {
    t.test(`${file}: ${url}`, async (t) => {
      const { options, warnings } = parse(url);
      t.same(warnings, [], 'the client warns about nothing (an unknown or misspelt key is ignored with a warning)');
      t.equal(options.tls, true, 'tls=true, said outright');
      t.equal(options.nodePreference, 'leader', 'nodePreference=leader');
      const hosts = options.hosts.map((h) => `${h.address}:${h.port}`);
      if (options.dnsDiscover) {
        t.same(hosts, [`${clusterNames[0]}:${confs[0]!.get('NodePort')}`], 'discovers the cluster through the name all three nodes answer to, on their port');
      } else {
        t.same([...hosts].sort(), endpoints, 'lists the three nodes by the names and ports they advertise');
      }
      t.ok(options.defaultCredentials?.username, 'connects as a user (the cluster allows no anonymous access)');
      t.ok(options.tlsCAFile, 'trusts the cluster CA (the nodes’ certificates are not from a public CA)');
      t.ok(compose.includes(`./certs/ca/ca.crt:${options.tlsCAFile}:ro`), 'the staging contract run finds the CA where the string says');
      const config = loadConfig({ EVENTSTORE_URL: url, DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32) });
      t.equal(config.eventStoreUrl, url, 'zhitong’s configuration check accepts it');
    });
  }
});
