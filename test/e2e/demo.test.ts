/** The README's main job: `otgate demo` runs the whole loopback plant and passes its own checks. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MAIN } from '../helpers/gateway';

const run = promisify(execFile);

test('otgate demo exits 0 with every check passed, every rogue action refused with its reason', async () => {
  const { stdout } = await run(process.execPath, [MAIN, 'demo'], { timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } }).catch(
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${err.message}\n--- demo stdout ---\n${err.stdout ?? ''}\n--- demo stderr ---\n${err.stderr ?? ''}`);
    },
  );
  expect(stdout).toMatch(/all \d+ checks passed/);
  expect(stdout).not.toMatch(/✗/);
  for (const why of ['modbus_value_out_of_range', 'T0816', 'T0846', 'T0888', 'modbus.mbap_length_too_large', 'opcua_value_out_of_range', 'mqtt_subscribe_not_allowed', 'relay     ISOLATED']) {
    expect(stdout).toContain(why);
  }
}, 120_000);
