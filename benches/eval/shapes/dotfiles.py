"""Dotfiles of three home directories: a developer laptop, a deploy user on a server, root."""

import base64
import json

from .build import A, D


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def bash_history(c, home, user):
    t = c.t
    f = c.file(f"{home}/.bash_history", "dotfile")
    f.add("""\
        ls -la
        cd ~/src/billing
        git pull --rebase
        make test""")
    f.add(f"export AWS_ACCESS_KEY_ID=⟦{t.aws_key_id()}⟧", A("provider", "aws-access-key-id"))
    f.add(f"export AWS_SECRET_ACCESS_KEY=⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key"))
    f.add("""\
        aws s3 ls s3://acme-billing-exports/
        history | grep ssh""")
    f.add(f"mysql -h db01.corp.lan -u root -p⟦{t.password()}⟧ shop",
          A("generic", "mysql-cli-password", "-pPASSWORD on the command line"))
    f.add(f"curl -u admin:⟦{t.password()}⟧ https://ci.corp.lan/api/json",
          A("generic", "curl-basic-auth", "curl -u user:pass"))
    f.add(f'psql "postgresql://billing:⟦{t.password(uri=True)}⟧@pg01.corp.lan:5432/billing"',
          A("generic", "postgres-uri-password"))
    f.add(f"docker login -u {user} -p ⟦{t.password()}⟧ registry.corp.lan",
          A("generic", "docker-login-password", "-p PASSWORD"))
    f.add(f"git clone https://oauth2:⟦{t.gitlab()}⟧@gitlab.com/acme/infra.git",
          A("provider", "gitlab-pat-in-url"))
    f.add(f"sshpass -p '⟦{t.password()}⟧' ssh ops@10.20.0.5", A("generic", "sshpass-password"))
    f.add(f"redis-cli -h cache01 -a ⟦{t.password()}⟧ INFO", A("generic", "redis-cli-password"))
    f.add("""\
        mysql -h db01.corp.lan -u root -p shop
        echo $DB_PASSWORD
        vim ~/.ssh/config""")
    f.add("⟦export GITHUB_TOKEN=$(pass show github/token)⟧", D("generic", "token-from-password-store"))
    f.add(f"htpasswd -b -c /etc/nginx/.htpasswd metrics ⟦{t.password()}⟧",
          A("generic", "htpasswd-cli-password"))
    f.add("""\
        sudo systemctl restart nginx
        kubectl get pods -n billing""")
    f.add(f"kubeadm join 10.0.0.10:6443 --token ⟦{t.kubeadm_token()}⟧ --discovery-token-ca-cert-hash sha256:{t.hex(64)}",
          A("provider", "kubeadm-bootstrap-token"))
    f.add(f"export HF_TOKEN=⟦{t.huggingface()}⟧", A("provider", "huggingface-token"))
    f.add("exit")


def zshrc(c, home):
    t = c.t
    f = c.file(f"{home}/.zshrc", "dotfile")
    f.add("""\
        export ZSH="$HOME/.oh-my-zsh"
        ZSH_THEME="robbyrussell"
        plugins=(git docker kubectl)
        source $ZSH/oh-my-zsh.sh
        export EDITOR=vim
        export PATH="$HOME/.local/bin:$PATH"
        """)
    f.add(f'export OPENAI_API_KEY="⟦{t.openai()}⟧"', A("provider", "openai-project-key"))
    f.add(f"export GITHUB_TOKEN=⟦{t.github()}⟧", A("provider", "github-pat-classic"))
    f.add(f"export HOMEBREW_GITHUB_API_TOKEN=⟦{t.github()}⟧", A("provider", "github-pat-classic"))
    f.add(f"export ANTHROPIC_API_KEY=⟦{t.anthropic()}⟧", A("provider", "anthropic-key"))
    f.add(f"export NPM_TOKEN=⟦{t.npm()}⟧", A("provider", "npm-token"))
    f.add(f"export VAULT_TOKEN=⟦{t.vault()}⟧", A("provider", "vault-token"))
    f.add(f"export SRC_ACCESS_TOKEN=⟦{t.sourcegraph()}⟧", A("provider", "sourcegraph-token"))
    f.add(f"export SNYK_TOKEN=⟦{t.uuid()}⟧", A("provider", "snyk-token", "a UUID under a Snyk key"))
    f.add(f"export GROQ_API_KEY=⟦{t.groq()}⟧", A("provider", "groq-key"))
    f.add(f"export REPLICATE_API_TOKEN=⟦{t.replicate()}⟧", A("provider", "replicate-token"))
    f.add(f"export LANGSMITH_API_KEY=⟦{t.langsmith()}⟧", A("provider", "langsmith-key"))
    f.add(f"export OPENROUTER_API_KEY=⟦{t.openrouter()}⟧", A("provider", "openrouter-key"))
    f.add(f"export JFROG_PASS=⟦{t.password('strong')}⟧", A("generic", "password-under-_PASS"))
    f.add("⟦export API_KEY=\"${API_KEY:-}\"⟧", D("generic", "env-default-expansion"))
    f.add('⟦export AWS_PROFILE=prod-readonly⟧', D("generic", "profile-name"))
    f.add("alias k=kubectl\nalias gs='git status'")
    f.add(f"alias prodsql='mysql -h prod-db.corp.lan -u admin -p⟦{t.password()}⟧'",
          A("generic", "password-in-alias"))


def netrc(c, home):
    t = c.t
    f = c.file(f"{home}/.netrc", "dotfile")
    f.add(f"machine api.heroku.com login ops@acme.io password ⟦{t.uuid()}⟧",
          A("provider", "heroku-api-key-netrc"))
    f.add(f"machine github.com login acme-bot password ⟦{t.github()}⟧", A("provider", "github-pat-netrc"))
    f.add(f"""\
        machine ftp.corp.lan
          login backup
          password ⟦{t.password()}⟧""", A("generic", "netrc-multiline-password"))


def pgpass(c, home):
    t = c.t
    f = c.file(f"{home}/.pgpass", "dotfile")
    f.add(f"pg01.corp.lan:5432:*:billing:⟦{t.password()}⟧", A("generic", "pgpass"))
    f.add(f"localhost:5432:analytics:report:⟦{t.password('words')}⟧", A("generic", "pgpass"))


def git_credentials(c, home):
    t = c.t
    f = c.file(f"{home}/.git-credentials", "dotfile")
    f.add(f"https://acme-bot:⟦{t.github()}⟧@github.com", A("provider", "github-pat-git-credentials"))
    f.add(f"https://jdoe:⟦{t.password(uri=True)}⟧@git.corp.lan", A("generic", "git-credentials-password"))


def npmrc(c, home):
    t = c.t
    f = c.file(f"{home}/.npmrc", "dotfile")
    f.add(f"//registry.npmjs.org/:_authToken=⟦{t.npm()}⟧", A("provider", "npmrc-token"))
    f.add(f"//npm.corp.lan/:_auth=⟦{_b64('ci:' + t.password('strong'))}⟧", A("generic", "npmrc-basic-auth"))
    f.add("⟦//npm.pkg.github.com/:_authToken=${NPM_TOKEN}⟧", D("provider", "npmrc-env-reference"))
    f.add("always-auth=true")


def pypirc(c, home):
    t = c.t
    f = c.file(f"{home}/.pypirc", "dotfile")
    f.add("""\
        [distutils]
        index-servers =
            pypi
            internal

        [pypi]
        username = __token__""")
    f.add(f"password = ⟦{t.pypi()}⟧", A("provider", "pypi-token"))
    f.add("""\

        [internal]
        repository = https://pypi.corp.lan/simple
        username = deploy""")
    f.add(f"password = ⟦{t.password()}⟧", A("generic", "pypirc-password"))


def docker_config(c, home, user, legacy=False):
    t = c.t
    if legacy:
        f = c.file(f"{home}/.dockercfg", "dotfile")
        auth = _b64(f"{user}:{t.password('strong')}")
        text = json.dumps({"registry.corp.lan": {"auth": "⟦" + auth + "⟧", "email": f"{user}@acme.io"}},
                          indent=2, ensure_ascii=False)
        f.add(text, A("generic", "dockercfg-legacy-auth", "legacy .dockercfg without the auths wrapper"),
              dedent=False)
        return
    f = c.file(f"{home}/.docker/config.json", "dotfile")
    hub = _b64(f"{user}:{t.dockerhub()}")
    reg = _b64(f"{user}:{t.password('strong')}")
    text = json.dumps({
        "auths": {
            "https://index.docker.io/v1/": {"auth": "⟦" + hub + "⟧"},
            "registry.corp.lan": {"auth": "⟦" + reg + "⟧"},
            "ghcr.io": {},
        },
        "credsStore": "desktop",
    }, indent=2, ensure_ascii=False)
    f.add(text, A("provider", "docker-config-hub-pat"), A("generic", "docker-config-registry-auth"),
          dedent=False)


def aws_credentials(c, home):
    t = c.t
    f = c.file(f"{home}/.aws/credentials", "dotfile")
    f.add("[default]")
    f.add(f"aws_access_key_id = ⟦{t.aws_key_id()}⟧", A("provider", "aws-access-key-id"))
    f.add(f"aws_secret_access_key = ⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key"))
    f.add("\n[billing-prod]")
    f.add(f"aws_access_key_id=⟦{t.aws_key_id()}⟧", A("provider", "aws-access-key-id"))
    f.add(f"aws_secret_access_key=⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key"))
    f.add("\n[temp]")
    f.add(f"aws_access_key_id = ⟦{t.aws_key_id('ASIA')}⟧", A("provider", "aws-temporary-key-id"))
    f.add(f"aws_secret_access_key = ⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key"))
    f.add(f"aws_session_token = ⟦{t.aws_session_token()}⟧", A("provider", "aws-session-token"))
    g = c.file(f"{home}/.aws/config", "dotfile")
    g.add("""\
        [default]
        region = eu-west-1
        output = json

        [profile sso-admin]
        sso_start_url = https://acme.awsapps.com/start
        sso_region = eu-west-1
        sso_account_id = 123456789012
        sso_role_name = AdministratorAccess""")


def kubeconfig(c, home, key):
    t = c.t
    sa = t.jwt({"iss": "kubernetes/serviceaccount",
                "kubernetes.io/serviceaccount/namespace": "ci",
                "kubernetes.io/serviceaccount/secret.name": "deployer-token-x7k2p",
                "kubernetes.io/serviceaccount/service-account.name": "deployer",
                "sub": "system:serviceaccount:ci:deployer"}, alg="RS256", kid=t.alnum(43), sig_bytes=256)
    f = c.file(f"{home}/.kube/config", "dotfile")
    f.add(f"""\
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: {base64.b64encode(b"-----BEGIN CERTIFICATE-----").decode()}
            server: https://k8s-prod.corp.lan:6443
          name: prod
        contexts:
        - context:
            cluster: prod
            user: deployer
          name: prod
        current-context: prod
        users:
        - name: deployer
          user:
            token: ⟦{sa}⟧
        - name: admin
          user:
            client-certificate-data: {base64.b64encode(b"-----BEGIN CERTIFICATE-----").decode()}
            client-key-data: ⟦{base64.b64encode((key.pem() + chr(10)).encode()).decode()}⟧
        - name: legacy
          user:
            username: admin
            password: ⟦{t.password()}⟧
        - name: eks
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args: ["eks", "get-token", "--cluster-name", "prod"]""",
          A("provider", "kubeconfig-sa-token"), A("provider", "kubeconfig-client-key-data"),
          A("generic", "kubeconfig-basic-auth-password"))


def ssh(c, home, key, user):
    f = c.file(f"{home}/.ssh/id_rsa", "dotfile")
    f.add("⟦" + key.pem() + "⟧", A("provider", "rsa-private-key"), dedent=False)
    p = c.file(f"{home}/.ssh/id_rsa.pub", "dotfile")
    p.add("⟦" + key.ssh_public(f"{user}@laptop") + "⟧", D("provider", "ssh-public-key"))
    g = c.file(f"{home}/.ssh/config", "dotfile")
    g.add("""\
        Host bastion
          HostName bastion.corp.lan
          User ops
          IdentityFile ~/.ssh/id_rsa
          ForwardAgent no""")


def misc(c, home):
    t = c.t
    f = c.file(f"{home}/.config/gh/hosts.yml", "dotfile")
    f.add("github.com:")
    f.add(f"    oauth_token: ⟦{t.github('gho_')}⟧", A("provider", "github-oauth-token"), dedent=False)
    f.add("    user: jdoe\n    git_protocol: ssh", dedent=False)
    f = c.file(f"{home}/.my.cnf", "dotfile")
    f.add("[client]\nuser=root")
    f.add(f"password=⟦{t.password()}⟧", A("generic", "my-cnf-password"))
    f.add("host=db01.corp.lan")
    f = c.file(f"{home}/.s3cfg", "dotfile")
    f.add("[default]")
    f.add(f"access_key = ⟦{t.aws_key_id()}⟧", A("provider", "aws-access-key-id"))
    f.add(f"secret_key = ⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key",
                                                 "s3cmd: secret_key, no aws in the key name"))
    f.add("host_base = s3.amazonaws.com\nuse_https = True")
    f = c.file(f"{home}/.terraform.d/credentials.tfrc.json", "dotfile")
    text = json.dumps({"credentials": {"app.terraform.io": {"token": "⟦" + t.terraform_cloud() + "⟧"}}},
                      indent=2, ensure_ascii=False)
    f.add(text, A("provider", "terraform-cloud-token"), dedent=False)
    f = c.file(f"{home}/.gradle/gradle.properties", "dotfile")
    f.add("org.gradle.jvmargs=-Xmx2g\nossrhUsername=acme-release")
    f.add(f"ossrhPassword=⟦{t.password()}⟧", A("generic", "gradle-ossrh-password"))
    f.add("signing.keyId=4F2A9C1B")
    f.add(f"signing.password=⟦{t.password('words')}⟧", A("generic", "gradle-signing-password"))
    f = c.file(f"{home}/.config/rclone/rclone.conf", "dotfile")
    f.add("[backup]\ntype = sftp\nhost = nas.corp.lan\nuser = backup")
    f.add(f"pass = ⟦{t.pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_', 38)}⟧",
          A("generic", "rclone-obscured-pass", "rclone obscure is reversible"))
    f = c.file(f"{home}/.config/fish/config.fish", "dotfile")
    f.add("set -gx EDITOR nvim")
    f.add(f"set -gx SLACK_BOT_TOKEN ⟦{t.slack_bot()}⟧", A("provider", "slack-bot-token"))
    f = c.file(f"{home}/.wireguard/wg0.conf", "dotfile")
    f.add("[Interface]\nAddress = 10.8.0.2/24")
    f.add(f"PrivateKey = ⟦{t.wireguard()}⟧", A("provider", "wireguard-private-key"))
    f.add(f"\n[Peer]\nPublicKey = {t.wireguard()}\nEndpoint = vpn.corp.lan:51820\nAllowedIPs = 10.8.0.0/24")
    f = c.file(f"{home}/.config/sops/age/keys.txt", "dotfile")
    f.add("# created: 2026-03-02T10:11:12Z\n# public key: age1" + t.pick("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58))
    f.add(f"⟦{t.age_key()}⟧", A("provider", "age-secret-key"))


def profile(c, home):
    t = c.t
    f = c.file(f"{home}/.profile", "shell-profile")
    f.add("""\
        # ~/.profile: executed by the command interpreter for login shells.
        if [ -n "$BASH_VERSION" ]; then
            if [ -f "$HOME/.bashrc" ]; then
                . "$HOME/.bashrc"
            fi
        fi""")
    f.add(f"export DATABASE_URL=postgres://app:⟦{t.password(uri=True)}⟧@pg01.corp.lan:5432/app",
          A("generic", "database-url-password"))
    f.add(f"export PGPASSWORD='⟦{t.password('words')}⟧'", A("generic", "pgpassword-env"))
    f.add(f"export RABBITMQ_PASS=⟦{t.password()}⟧", A("generic", "password-under-_PASS"))
    f.add(f"export DD_API_KEY=⟦{t.hex(32)}⟧", A("provider", "datadog-api-key"))
    f.add(f"export SIDEKIQ_PRO=1\nexport BUNDLE_ENTERPRISE__CONTRIBSYS__COM=⟦{t.hex(8)}:{t.hex(8)}⟧",
          A("provider", "sidekiq-license"))


def generate(c):
    keys = [c.keys[0], c.keys[1]]
    for i, (home, user) in enumerate([("home/jdoe", "jdoe"), ("home/deploy", "deploy"), ("root", "root")]):
        bash_history(c, home, user)
        netrc(c, home)
        aws_credentials(c, home)
        if i == 0:
            zshrc(c, home)
            npmrc(c, home)
            pypirc(c, home)
            git_credentials(c, home)
            misc(c, home)
            docker_config(c, home, user)
            ssh(c, home, keys[0], user)
        if i == 1:
            pgpass(c, home)
            kubeconfig(c, home, keys[1])
            docker_config(c, home, user, legacy=True)
            profile(c, home)
            git_credentials(c, home)
        if i == 2:
            pgpass(c, home)
            docker_config(c, home, user)
