/**
 * Demo act 1 — Modbus TCP, HMI (level 2) → chiller PLC (level 1) through the gateway.
 * hmi-1 polls and adjusts the setpoint within its envelope; hmi-2 has been compromised and
 * tries what the scenario's attacker does. Outcomes are checked at the PLC itself.
 */
import net from 'node:net';
import ModbusRTU from 'modbus-serial';
import type { ChillerPlc } from '../../scripts/testbed/chiller-plc';
import { CHILLER_SETPOINT } from '../../scripts/testbed/chiller-plc';
import { clientLine, heading, say } from './printer';

export interface ModbusActTarget {
  readonly gateway: { host: string; port: number };
  readonly plc: ChillerPlc;
  readonly hmi: string; // hmi-1 source address
  readonly rogue: string; // hmi-2 source address
}

export interface ActResult {
  readonly checks: { readonly what: string; readonly ok: boolean }[];
}

async function connect(target: ModbusActTarget, localAddress: string): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP(target.gateway.host, { port: target.gateway.port, localAddress } as never);
  c.setID(1);
  c.setTimeout(2000);
  return c;
}

const excText = (err: unknown): string => {
  const code = (err as { modbusCode?: number }).modbusCode;
  return code !== undefined ? `exception ${String(code).padStart(2, '0')}` : (err as Error).message;
};

/** A raw MBAP request on its own socket: for what a normal master library will not send. */
function raw(target: ModbusActTarget, localAddress: string, bytes: number[]): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: target.gateway.host, port: target.gateway.port, localAddress });
    let reply = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); resolve({ reply, closed: false }); }, 1500);
    s.on('connect', () => s.write(Buffer.from(bytes)));
    s.on('data', (d) => { reply = Buffer.concat([reply, d]); });
    s.on('close', () => { clearTimeout(timer); resolve({ reply, closed: true }); });
    s.on('error', () => undefined);
  });
}

export async function runModbusAct(t: ModbusActTarget, settle: () => Promise<void>): Promise<ActResult> {
  const checks: ActResult['checks'] = [];
  const check = (what: string, ok: boolean) => checks.push({ what, ok });

  heading('Modbus TCP · hmi-1 polls and adjusts the process chiller (level 2 → 1)');
  const hmi = await connect(t, t.hmi);
  const sp = await hmi.readHoldingRegisters(CHILLER_SETPOINT, 2);
  clientLine('hmi-1', 'read setpoint + mode (FC 3, holding 100..101)', `[${sp.data.join(', ')}] = ${(sp.data[0]! / 10).toFixed(1)} °C`, true);
  await settle();
  const temps = await hmi.readInputRegisters(0, 4);
  clientLine('hmi-1', 'read supply/return temp, flow, load (FC 4, input 0..3)', `[${temps.data.join(', ')}]`, true);
  await settle();
  await hmi.writeRegister(CHILLER_SETPOINT, 175);
  clientLine('hmi-1', 'write setpoint 17.5 °C (FC 6, holding 100 = 175)', 'accepted', true);
  await settle();
  check('allowed setpoint write reached the PLC', t.plc.holding[CHILLER_SETPOINT] === 175);

  heading('Modbus TCP · hmi-2 is compromised');
  const rogue = await connect(t, t.rogue);
  try {
    await rogue.writeRegister(CHILLER_SETPOINT, 600);
    clientLine('hmi-2', 'write setpoint 60.0 °C (FC 6, holding 100 = 600)', 'accepted?!', false);
  } catch (err) {
    clientLine('hmi-2', 'write setpoint 60.0 °C (FC 6, holding 100 = 600)', `refused: ${excText(err)}`, true);
  }
  await settle();
  check('PLC setpoint unchanged by the 60 °C write', t.plc.holding[CHILLER_SETPOINT] === 175);

  try {
    await rogue.writeRegister(0, 1);
    clientLine('hmi-2', 'write holding 0 (outside the setpoint range)', 'accepted?!', false);
  } catch (err) {
    clientLine('hmi-2', 'write holding 0 (outside the setpoint range)', `refused: ${excText(err)}`, true);
  }
  await settle();
  check('holding 0 unchanged', t.plc.holding[0] === 0);

  // FC 8 sub-function 0x0001 Restart Communications Option (MB-AP §6.8.1): tid 7, unit 1.
  const restart = await raw(t, t.rogue, [0x00, 0x07, 0x00, 0x00, 0x00, 0x06, 0x01, 0x08, 0x00, 0x01, 0x00, 0x00]);
  const restartRefused = restart.reply.length >= 9 && restart.reply[7] === 0x88;
  clientLine('hmi-2', 'FC 8/01 restart communications', restartRefused ? `refused: exception 0${restart.reply[8]}` : 'no refusal?!', restartRefused);
  check('FC 8 restart refused with a Modbus exception', restartRefused);
  await settle();

  let swept = 0;
  for (let unit = 2; unit <= 12; unit++) {
    rogue.setID(unit);
    try {
      await rogue.readHoldingRegisters(0, 1);
    } catch {
      swept++;
    }
  }
  rogue.setID(1);
  clientLine('hmi-2', 'unit-id sweep 2..12 (FC 3)', `${swept}/11 refused`, swept === 11);
  check('unit-id sweep refused for every unit', swept === 11);
  await settle();

  try {
    await rogue.readDeviceIdentification(1, 0);
    clientLine('hmi-2', 'FC 43/14 read device identification', 'answered?!', false);
  } catch (err) {
    clientLine('hmi-2', 'FC 43/14 read device identification', `refused: ${excText(err)}`, true);
  }
  await settle();

  // MBAP claiming a 65,535-byte length (the spec's maximum ADU is 260 bytes).
  const bomb = await raw(t, t.rogue, [0x00, 0x09, 0x00, 0x00, 0xff, 0xff, 0x01, 0x03]);
  clientLine('hmi-2', 'malformed MBAP: length 65,535', bomb.closed ? 'connection closed' : 'still open?!', bomb.closed);
  check('malformed frame closed that connection', bomb.closed);
  await settle();

  const still = await hmi.readHoldingRegisters(CHILLER_SETPOINT, 1);
  clientLine('hmi-1', 'keeps polling meanwhile (FC 3, holding 100)', `[${still.data.join(', ')}]`, still.data[0] === 175);
  check('hmi-1 unaffected by the closed rogue connection', still.data[0] === 175);
  await settle();

  hmi.close(() => undefined);
  rogue.close(() => undefined);
  const rogueWrites = t.plc.writes.filter((w) => w.value === 600 || (w.address === 0 && w.table === 'holding_registers'));
  say(`  PLC write log: ${t.plc.writes.map((w) => `${w.table}[${w.address}]=${w.value}`).join(', ') || 'empty'}`);
  check('no rogue write reached the PLC', rogueWrites.length === 0);
  return { checks };
}
