// Run several Python chunks in ONE MicroPython (wasm) instance, each as its own top-level
// runPython call. The wasm port's gc.collect() is a no-op inside a call (its split heap only
// collects at the top level, where no C stack holds roots), so heap figures are read at the
// start of a later chunk, after the port has collected.
// stdin: {"chunks": [str, ...], "files": {...}, "heapsize": int}; stdout: what was printed.
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
  mp.runPython("import sys\nsys.path.insert(0, '/lib')\n");
  for (const chunk of job.chunks) mp.runPython(chunk);
} catch (err) {
  process.stderr.write(String(err.message || err) + "\n");
  status = 1;
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
process.exitCode = status;
