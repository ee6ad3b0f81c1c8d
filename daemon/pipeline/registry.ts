/** Protocol → inspector factory: the one place the proxy and the monitor find an inspector. */
import type { InspectorFactory, ProtocolName } from './contract';
import { createModbusInspector } from './modbus-inspector';
import { createMqttInspector } from './mqtt-inspector';
import { createOpcuaInspector } from './opcua-inspector';

export const inspectors: Partial<Record<ProtocolName, InspectorFactory>> = {
  modbus: createModbusInspector,
  mqtt: createMqttInspector,
  opcua: createOpcuaInspector,
};

export function inspectorFor(proto: ProtocolName): InspectorFactory | null {
  return inspectors[proto] ?? null;
}
