/**
 * The apply path against the real kernel, inside a throwaway network namespace (root only; the
 * machine's own ruleset is never touched): atomic load, island on/off kept across a reload,
 * rollback to the previous table when the loaded one fails verification, a failed check that
 * changes nothing.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { applyFirewall, createFirewallHooks, createNftRunner, currentTable, dropCounters, islandState, setIsland, type NftRunner } from '../../daemon/firewall';
import { loadAndCompile } from '../../daemon/policy-holder';
import type { CompiledPolicy } from '../../rules/compiled';
import { netnsAvailable } from '../../scripts/testbed/netns/plant';

const ROOT = path.resolve(__dirname, '..', '..');
const can = netnsAvailable();
const NS = `otgate-fwtest-${process.pid}`;

const policy = (file: string): CompiledPolicy => {
  const out = loadAndCompile(path.join(ROOT, file));
  if (!out.ok) throw new Error(`${file} does not load`);
  return out.policy;
};

describe('applyFirewall in a network namespace', () => {
  let nft: NftRunner;

  beforeAll(() => {
    if (!can.ok) return;
    execFileSync('ip', ['netns', 'add', NS]);
    nft = createNftRunner({ netns: NS });
  });

  afterAll(() => {
    if (can.ok) execFileSync('ip', ['netns', 'del', NS]);
  });

  test('loads, keeps island mode across a reload, rolls back, refuses a failed check', async () => {
    if (!can.ok) {
      console.log(`apply test not run: ${can.reason}`); // needs root + ip netns; CI runs as root
      return;
    }
    const fab = policy('examples/secluded-fab.yaml');
    const demo = policy('examples/demo-loopback.yaml');

    const first = await applyFirewall(fab, { nft, managementZone: 'operations' });
    expect(first).toMatchObject({ ok: true, island: false, previous: null });
    const loaded = (await currentTable(nft))!;
    expect(loaded).toContain('comment "conduit hmi-chiller-plc: supervisory -> chiller-plc:502 (modbus)"');
    expect(loaded).toMatch(/chain forward \{\n\s+type filter hook forward priority filter; policy drop;/);

    await setIsland(true, { nft });
    expect(await islandState(nft)).toBe(true);
    const again = await applyFirewall(fab, { nft, managementZone: 'operations' });
    expect(again).toMatchObject({ ok: true, island: true }); // a reload never lifts isolation
    expect(await islandState(nft)).toBe(true);
    await setIsland(false, { nft });
    expect(await islandState(nft)).toBe(false);

    // A table that loads but fails verification is replaced by the previous one.
    const lying: NftRunner = {
      load: (s, o) => nft.load(s, o),
      run: async (args) => {
        const r = await nft.run(args);
        return args[0] === 'list' && args[1] === 'table' && r.stdout.includes('127.') /* the demo table */ ? { ...r, stdout: r.stdout.replace('default drop: forward between zones', 'gone') } : r;
      },
    };
    const bad = await applyFirewall(demo, { nft: lying });
    expect(bad).toMatchObject({ ok: false, stage: 'verify', rolledBack: true });
    expect(await currentTable(nft)).toContain('conduit hmi-chiller-plc');

    // A ruleset the kernel refuses in check mode changes nothing.
    const refusing: NftRunner = { run: nft.run, load: async (s, o) => (o?.check ? { code: 1, stdout: '', stderr: 'Error: simulated' } : nft.load(s, o)) };
    expect(await applyFirewall(demo, { nft: refusing })).toMatchObject({ ok: false, stage: 'check', rolledBack: false });
    expect(await currentTable(nft)).toContain('conduit hmi-chiller-plc');

    // Hooks: the daemon's start/reload and the relay's isolate/restore.
    const logs: string[] = [];
    const hooks = createFirewallHooks({ nft, log: (m) => logs.push(m) });
    await hooks.onPolicy(demo);
    await hooks.onIsolation(true);
    expect(await islandState(nft)).toBe(true);
    await hooks.onIsolation(false);
    expect(await islandState(nft)).toBe(false);
    expect(logs).toEqual([expect.stringMatching(/^firewall: table inet otgate loaded for policy [0-9a-f]{12}$/), 'firewall: island mode on', 'firewall: island mode off']);
    expect(await dropCounters({ nft })).toEqual({ input: 0, forward: 0, island: 0 });
  });
});
