/**
 * OPC UA Read load (its own process): one node-opcua client, SecurityMode None, anonymous
 * session, then back-to-back Read requests of 10 Value attributes (one outstanding, as a SCADA
 * poll). The session is created before timing; prints {tx, seconds, txps, errors, hist}.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { Histogram } from '../lib/stats';

export const READ_NODES = [
  'ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.Mode', 'ns=2;s=Chiller.Temperature', 'ns=2;s=Chiller.Label',
  'i=2255', 'i=2256', 'i=2257', 'i=2258', 'i=2259', 'i=2267', // NamespaceArray, ServerStatus, StartTime, CurrentTime, State, ServiceLevel
];

async function run(spec: { url: string; warmupMs: number; durationMs: number }) {
  process.env.XDG_CONFIG_HOME = mkdtempSync(path.join(os.tmpdir(), 'otgate-bench-ua-'));
  const ua = await import('node-opcua');
  const client = ua.OPCUAClient.create({ endpointMustExist: false, securityMode: ua.MessageSecurityMode.None, securityPolicy: ua.SecurityPolicy.None, connectionStrategy: { maxRetry: 1 } });
  await client.connect(spec.url);
  const session = await client.createSession();
  const nodes = READ_NODES.map((nodeId) => ({ nodeId, attributeId: ua.AttributeIds.Value }));
  const hist = new Histogram();
  let tx = 0;
  let errors = 0;
  const until = (ms: number) => process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  let end = until(spec.warmupMs);
  while (process.hrtime.bigint() < end) await session.read(nodes);
  end = until(spec.durationMs);
  const t0 = process.hrtime.bigint();
  while (process.hrtime.bigint() < end) {
    const t = process.hrtime.bigint();
    const r = await session.read(nodes);
    hist.add(Number(process.hrtime.bigint() - t));
    tx++;
    if (r.length !== nodes.length || r.some((d) => !d.statusCode.isGood())) errors++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await session.close();
  await client.disconnect();
  return { tx, seconds, txps: tx / seconds, errors, hist: hist.sparse() };
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '{}') as { url: string; warmupMs: number; durationMs: number }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stdout.write(`${JSON.stringify({ error: err.message })}\n`);
      process.exit(1);
    },
  );
}
