/**
 * Protocol → inspector factory: the one place the proxy and the monitor find an inspector.
 * Inspectors load on first use, so a gateway without OPC UA conduits never loads node-opcua
 * (about 80 MB of RSS and half a second of start-up).
 */
import type { InspectorFactory, ProtocolName } from './contract';

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading */
const loaders: Readonly<Record<ProtocolName, () => InspectorFactory>> = {
  modbus: () => (require('./modbus-inspector') as typeof import('./modbus-inspector')).createModbusInspector,
  mqtt: () => (require('./mqtt-inspector') as typeof import('./mqtt-inspector')).createMqttInspector,
  opcua: () => (require('./opcua-inspector') as typeof import('./opcua-inspector')).createOpcuaInspector,
};

const loaded = new Map<ProtocolName, InspectorFactory>();

export function inspectorFor(proto: ProtocolName): InspectorFactory | null {
  let f = loaded.get(proto);
  if (f === undefined) {
    const load = loaders[proto];
    if (load === undefined) return null;
    f = load();
    loaded.set(proto, f);
  }
  return f;
}

/** Replace a protocol's inspector (benchmark variants only). */
export function overrideInspector(proto: ProtocolName, factory: InspectorFactory): void {
  loaded.set(proto, factory);
}
