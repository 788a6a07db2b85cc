"""Package-manager and developer-tool credential files, tool exports, and API docs with real-shaped
keys."""

import json

from .build import A, T


def package_managers(c, home):
    t = c.t
    f = c.file(f"{home}/.composer/auth.json", "package-manager")
    doc = {
        "github-oauth": {"github.com": "⟦" + t.github() + "⟧"},
        "http-basic": {"repo.magento.com": {"username": t.hex(32), "password": "⟦" + t.hex(32) + "⟧"}},
    }
    f.add(json.dumps(doc, indent=4, ensure_ascii=False), A("provider", "composer-github-oauth"),
          A("generic", "composer-http-basic-hex-password", "Magento marketplace private key"), dedent=False)
    g = c.file(f"{home}/.nuget/NuGet/NuGet.Config", "package-manager")
    g.add("""\
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSourceCredentials>
            <acme_feed>
              <add key="Username" value="build" />""")
    g.add(f'      <add key="ClearTextPassword" value="⟦{t.password()}⟧" />',
          A("generic", "nuget-cleartext-password"), dedent=False)
    g.add("""\
            </acme_feed>
          </packageSourceCredentials>
          <apikeys>""")
    g.add(f'    <add key="https://www.nuget.org/api/v2/package" value="⟦oy2{t.pick("abcdefghijklmnopqrstuvwxyz0123456789", 43)}⟧" />',
          A("provider", "nuget-api-key"), dedent=False)
    g.add("  </apikeys>\n</configuration>", dedent=False)
    h = c.file(f"{home}/.cargo/credentials.toml", "package-manager")
    h.add("[registry]")
    h.add(f'token = "⟦cio{t.alnum(32)}⟧"', A("provider", "crates-io-token"))
    k = c.file(f"{home}/.gem/credentials", "package-manager")
    k.add("---")
    k.add(f":rubygems_api_key: ⟦rubygems_{t.hex(48)}⟧", A("provider", "rubygems-key"))
    y = c.file(f"{home}/.yarnrc.yml", "package-manager")
    y.add("npmScopes:\n  acme:\n    npmRegistryServer: https://npm.pkg.github.com")
    y.add(f'    npmAuthToken: "⟦{t.github()}⟧"', A("provider", "github-pat-yarnrc"), dedent=False)
    y.add("npmRegistryServer: https://registry.yarnpkg.com")
    y.add(f'⟦npmAuthToken: "{t.uuid()}"⟧', A("provider", "npm-legacy-uuid-token"))
    gl = c.file(f"{home}/.config/glab-cli/config.yml", "dotfile")
    gl.add("hosts:\n    gitlab.com:")
    gl.add(f"        token: ⟦{t.gitlab()}⟧", A("provider", "gitlab-pat-glab"), dedent=False)
    gl.add("        api_protocol: https\n        git_protocol: ssh", dedent=False)
    s = c.file(f"{home}/.ssh/deploy_key", "dotfile")
    s.add("⟦" + c.keys[1].openssh("deploy@ci") + "⟧", A("provider", "openssh-private-key"), dedent=False)


def tool_exports(c, root):
    t = c.t
    f = c.file(f"{root}/postman/production.postman_environment.json", "tool-export")
    doc = {
        "id": t.uuid(), "name": "production",
        "values": [
            {"key": "baseUrl", "value": "https://api.acme.io", "enabled": True},
            {"key": "api_key", "value": "⟦" + t.alnum(40) + "⟧", "type": "secret", "enabled": True},
            {"key": "admin_password", "value": "⟦" + t.password() + "⟧", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }
    f.add(json.dumps(doc, indent=2, ensure_ascii=False), A("generic", "postman-key-value-pair", "key/value pair"),
          A("generic", "postman-key-value-pair", "key/value pair"), dedent=False)
    g = c.file(f"{root}/scripts/sync-boards.sh", "shell-profile")
    g.add("#!/usr/bin/env bash\nset -euo pipefail")
    g.add(f"AZURE_DEVOPS_PAT=⟦{t.pick('abcdefghijklmnopqrstuvwxyz234567', 52)}⟧",
          A("provider", "azure-devops-pat-legacy", "52 base32 characters, no prefix"))
    g.add(f'ZAPIER_HOOK="⟦https://hooks.zapier.com/hooks/catch/{t.digits(8)}/{t.pick("abcdefghijklmnopqrstuvwxyz0123456789", 7)}/⟧"',
          A("provider", "zapier-catch-hook-url"))
    g.add(f"GOOGLE_CLIENT_SECRET=⟦GOCSPX-{t.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 28)}⟧",
          A("provider", "google-oauth-client-secret"))
    g.add(f"AUTH0_CLIENT_SECRET=⟦{t.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 64)}⟧",
          A("provider", "auth0-client-secret"))
    g.add(f"SLACK_USER_TOKEN=⟦xoxp-{t.digits(12)}-{t.digits(12)}-{t.digits(13)}-{t.hex(32)}⟧",
          A("provider", "slack-user-token"))
    g.add('curl -s -u ":$AZURE_DEVOPS_PAT" https://dev.azure.com/acme/_apis/projects')


def api_docs(c, root):
    t = c.t
    f = c.file(f"{root}/docs/api/authentication.md", "docs", cls="true")
    f.add("# Authentication\n\nEvery request carries your key:\n\n```sh")
    f.add(f'curl https://api.acme.io/v2/orders -H "X-Api-Key: ⟦{t.alnum(32)}⟧"',
          T("generic", "docs-api-key-header", "a realistic key in an API reference"))
    f.add("```\n\nOr a token from the OAuth flow:\n\n```sh")
    f.add(f'curl https://api.acme.io/v2/me -H "Authorization: Bearer ⟦{t.github("gho_")}⟧"',
          T("provider", "docs-github-oauth-token"))
    f.add("```\n\nThe SDK reads it from the environment:\n\n```python")
    f.add(f'client = acme.Client(api_key="⟦{t.alnum(32)}⟧")', T("generic", "docs-sdk-kwarg"))
    f.add("```")


def generate(c):
    package_managers(c, "home/jdoe")
    tool_exports(c, "work/platform")
    api_docs(c, "work/sdk")
