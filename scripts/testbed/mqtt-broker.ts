/**
 * The plant's MQTT broker for the testbed (aedes on a plain TCP server). Records every
 * subscription that reached the broker: the evidence for the wildcard-subscription scenario.
 */
import net from 'node:net';

export interface TestbedBroker {
  readonly subscriptions: { client: string; topic: string }[];
  close(): Promise<void>;
}

export async function startMqttBroker(opts: { host: string; port: number }): Promise<TestbedBroker> {
  // aedes 1.x is ESM-only with a static async factory.
  const { Aedes } = (await import('aedes')) as unknown as { Aedes: { createBroker(): Promise<AedesLike> } };
  const broker = await Aedes.createBroker();
  const subscriptions: TestbedBroker['subscriptions'] = [];
  broker.on('subscribe', (subs: { topic: string }[], client: { id: string } | null) => {
    for (const s of subs) if (subscriptions.length < 10_000) subscriptions.push({ client: client?.id ?? '?', topic: s.topic });
  });
  const server = net.createServer((s) => broker.handle(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    subscriptions,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

interface AedesLike {
  on(ev: 'subscribe', fn: (subs: { topic: string }[], client: { id: string } | null) => void): void;
  handle(s: net.Socket): void;
  close(cb: () => void): void;
}

/** Subscribe once from a chosen source; the granted QoS list, or what went wrong. */
export async function mqttSubscribe(host: string, port: number, localAddress: string, topic: string, timeoutMs = 3000): Promise<string> {
  const mqtt = await import('mqtt');
  return new Promise((resolve) => {
    // mqtt.js' own TCP builder ignores localAddress: bring our own stream (the source is the identity).
    const client = new mqtt.MqttClient(() => net.connect({ host, port, localAddress }), { reconnectPeriod: 0, connectTimeout: timeoutMs, clientId: `testbed-${process.pid}`, protocolVersion: 4 });
    let done = false;
    const finish = (r: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(r);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    client.on('connect', () => {
      client.subscribe(topic, { qos: 0 }, (err, granted) => finish(err ? `error: ${err.message}` : `granted ${JSON.stringify((granted ?? []).map((g) => g.qos))}`));
    });
    client.on('error', (err) => finish(`error: ${err.message}`));
    client.on('close', () => finish('closed'));
  });
}
