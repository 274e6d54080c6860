// Run Python code under the real MicroPython interpreter (1.27, WebAssembly port).
// stdin: {"code": str, "files": {"/lib/pkg/mod.py": str, ...}, "heapsize": int}
// stdout: what the program printed. Exit 1 with the traceback on stderr if it raised.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";

const job = JSON.parse(readFileSync(0, "utf8"));
const out = [];
const mp = await loadMicroPython({
  heapsize: job.heapsize || 4 * 1024 * 1024,
  stdout: (line) => out.push(line),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const made = new Set(["/"]);
function mkdirs(dir) {
  if (made.has(dir)) return;
  mkdirs(dirname(dir));
  try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
  made.add(dir);
}
for (const [path, text] of Object.entries(job.files || {})) {
  mkdirs(dirname(path));
  mp.FS.writeFile(path, text);
}
let status = 0;
try {
  mp.runPython("import sys\nsys.path.insert(0, '/lib')\n" + job.code);
} catch (err) {
  process.stderr.write(String(err.message || err) + "\n");
  status = 1;
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
process.exitCode = status;
