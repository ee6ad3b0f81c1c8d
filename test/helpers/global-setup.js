// Builds dist/ once before the suite when any source is newer than the daemon entry point,
// so tests that spawn `node dist/daemon/main.js` always run the code under test.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'daemon', 'main.js');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

module.exports = async () => {
  const src = Math.max(...['daemon', 'protocols', 'rules', 'hw', 'scripts', 'bench'].map((d) => (fs.existsSync(path.join(root, d)) ? newest(path.join(root, d)) : 0)));
  const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  if (built < src) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
};
