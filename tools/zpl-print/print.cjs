// Prints ZPL to PNG with Zebrash (through zpl-renderer-js), an interpreter
// that tracelot did not write. Reads a JSON array of jobs from the file named
// by the first argument: {zpl, width_mm, height_mm, dpmm, out}. Writes each
// label's PNG to `out`; a job the interpreter rejects is reported on stdout
// as one JSON line {"out", "error"} and the exit code is 1.
const fs = require("node:fs");

let renderer;
try {
  renderer = require("zpl-renderer-js");
} catch (e) {
  console.error("zpl-renderer-js is missing: run `npm ci --prefix tools/zpl-print`");
  process.exit(3);
}

(async () => {
  const { api } = await renderer.ready;
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  let failed = false;
  for (const job of jobs) {
    try {
      const png = await api.zplToBase64Async(job.zpl, job.width_mm, job.height_mm, job.dpmm);
      fs.writeFileSync(job.out, Buffer.from(png, "base64"));
    } catch (e) {
      failed = true;
      console.log(JSON.stringify({ out: job.out, error: String(e) }));
    }
  }
  process.exit(failed ? 1 : 0);
})();
