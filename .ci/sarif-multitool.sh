#!/usr/bin/env bash
# Validates the SARIF nhiscan writes with Microsoft's SARIF Multitool and GitHub's ingestion rules
# (`validate --rule-kind "Gh;Sarif"`): zero errors and zero warnings, on a working-tree scan with
# findings, policy verdicts and parse errors, and on a history scan. Usage: .ci/sarif-multitool.sh NHISCAN TOOLS_DIR
set -euo pipefail
bin=$(realpath "$1"); tools=$2
[ -x "$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ] ||
  npm install --silent --prefix "$tools" @microsoft/sarif-multitool@5.7.0 >/dev/null
mt="$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q repo && cd repo
git config user.email ci@nhiscan.invalid && git config user.name "nhiscan CI"
mkdir -p k8s deploy
# A fake key id assembled at run time, an RBAC wildcard, a broken JSON file, and a policy.
printf 'AWS_ACCESS_KEY_ID=%s%s\n' AKIA Q4SNMY2LPZ3XWB7K > deploy/app.env
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\nrules:\n- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n' > k8s/rbac.yaml
printf '{"Statement": [ broken\n' > deploy/policy.json
printf '[policy]\nrequire_secret_store = true\nforbid_wildcard = true\n' > .nhiscan.toml
git add -A && git commit -qm init
"$bin" scan . --format sarif -o ../tree.sarif -q || true
"$bin" git . --format sarif -o ../history.sarif -q || true
cd ..
"$mt" validate --rule-kind "Gh;Sarif" -o result.sarif tree.sarif history.sarif >/dev/null
python3 - result.sarif <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
for r in results:
    print(f"SARIF Multitool: {r.get('level', 'warning')} {r['ruleId']}: {r['message'].get('text', r['message'])}")
print(f"SARIF Multitool: {len(results)} problem(s) in 2 reports")
sys.exit(1 if results else 0)
PY
