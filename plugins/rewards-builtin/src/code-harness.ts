/**
 * Test harnesses, run inside the sandbox next to the solution. The solution is loaded, the setup code run,
 * then each test (an assert statement) in the same namespace; each pass is reported on the original stdout
 * as `<nonce> pass <i>`. The nonce arrives on stdin and the test file is deleted once read, so printing
 * "pass" from the solution does not count (see docs/security.md for what this does not prevent).
 */
export const PYTHON_HARNESS = `import json, os, sys

def main():
    nonce = sys.stdin.readline().strip()
    out = os.dup(1)
    with open("tests.json") as f:
        spec = json.load(f)
    os.remove("tests.json")
    ns = {"__name__": "__solution__"}
    try:
        with open("solution.py") as f:
            exec(compile(f.read(), "solution.py", "exec"), ns)
        if spec["setup"]:
            exec(compile(spec["setup"], "setup.py", "exec"), ns)
    except BaseException:
        return
    for i, test in enumerate(spec["tests"]):
        try:
            exec(compile(test, "test_%d.py" % i, "exec"), ns)
        except BaseException:
            continue
        os.write(out, ("\\n%s pass %d\\n" % (nonce, i)).encode())

main()
`;

export const JAVASCRIPT_HARNESS = `'use strict';
const fs = require('fs');
const vm = require('vm');
const writeSync = fs.writeSync;
(function main() {
  const nonce = fs.readFileSync(0, 'utf8').trim();
  const spec = JSON.parse(fs.readFileSync(__dirname + '/tests.json', 'utf8'));
  fs.rmSync(__dirname + '/tests.json');
  globalThis.assert = require('assert');
  globalThis.require = require;
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;
  try {
    vm.runInThisContext(fs.readFileSync(__dirname + '/solution.js', 'utf8'), { filename: 'solution.js' });
    if (spec.setup) vm.runInThisContext(spec.setup, { filename: 'setup.js' });
  } catch {
    return;
  }
  spec.tests.forEach((test, i) => {
    try {
      vm.runInThisContext(test, { filename: 'test_' + i + '.js' });
    } catch {
      return;
    }
    writeSync(1, '\\n' + nonce + ' pass ' + i + '\\n');
  });
})();
`;
