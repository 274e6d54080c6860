// A pad's MicroPython for the provisioning tests: one long-lived interpreter (1.27, wasm)
// whose globals and filesystem persist between requests, like a real board's raw REPL.
// stdin, one JSON per line:  {"op":"exec","code":str} -> {"out":str,"err":str}
//                            {"op":"put","path":str,"b64":str} -> {}
//                            {"op":"files"} -> {"files":{path: base64}}
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { createInterface } from "node:readline";
import { dirname } from "node:path";

let out = [];
const mp = await loadMicroPython({
  heapsize: 2 * 1024 * 1024,
  stdout: (line) => out.push(line),
  stderr: (line) => {},
});
const SYSTEM = new Set(["/dev", "/proc", "/tmp", "/home"]);

function mkdirs(dir) {
  if (dir === "/" || dir === "") return;
  mkdirs(dirname(dir));
  try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
}

function walk(dir, files) {
  for (const name of mp.FS.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = (dir === "/" ? "" : dir) + "/" + name;
    if (SYSTEM.has(path)) continue;
    const st = mp.FS.stat(path);
    if (mp.FS.isDir(st.mode)) walk(path, files);
    else files[path] = Buffer.from(mp.FS.readFile(path)).toString("base64");
  }
  return files;
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const req = JSON.parse(line);
  let res = {};
  if (req.op === "exec") {
    out = [];
    let err = "";
    try {
      mp.runPython(req.code);
    } catch (e) {
      err = String(e.message || e);
    }
    res = { out: out.length ? out.join("\n") + "\n" : "", err };
  } else if (req.op === "put") {
    mkdirs(dirname(req.path));
    mp.FS.writeFile(req.path, Buffer.from(req.b64, "base64"));
  } else if (req.op === "files") {
    res = { files: walk("/", {}) };
  }
  process.stdout.write(JSON.stringify(res) + "\n");
}
