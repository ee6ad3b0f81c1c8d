/** Compiled `relay.driver` settings → a Relay. The only place that knows every driver. */
import type { CompiledRelayDriver } from '../rules/relay';
import { GpiodToolsBackend, GpioRelay, type GpioBackend } from './gpio';
import type { Relay } from './relay';
import { SimRelay } from './sim/sim-relay';

export interface CreateRelayOptions {
  /** Replaces the libgpiod tools backend (tests). */
  readonly gpioBackend?: GpioBackend;
}

export function createRelay(d: CompiledRelayDriver, o: CreateRelayOptions = {}): Relay {
  switch (d.kind) {
    case 'gpio':
      return new GpioRelay(
        { chip: d.chip, coilLine: d.coilLine, feedbackLine: d.feedbackLine, feedbackInverted: d.feedbackInverted, heartbeatLine: d.heartbeatLine, keyswitchLine: d.keyswitchLine },
        o.gpioBackend ?? new GpiodToolsBackend({ version: d.tools }),
      );
    case 'modbus': {
      // Loaded only for this driver: modbus-serial pulls in serialport's native bindings.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ModbusRelay } = require('./modbus-relay') as typeof import('./modbus-relay');
      return new ModbusRelay(d);
    }
    case 'sim':
      return new SimRelay({ socket: d.socket });
  }
}
