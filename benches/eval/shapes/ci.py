"""CI definitions and CI logs: GitLab CI, GitHub Actions, Jenkins, Travis, build logs."""

from .build import A, D, T


def gitlab(c, root):
    t = c.t
    f = c.file(f"{root}/.gitlab-ci.yml", "ci")
    f.add("""\
        stages: [test, build, deploy]

        variables:
          DOCKER_DRIVER: overlay2""")
    f.add(f"  SONAR_TOKEN: ⟦{t.sonarqube()}⟧", A("provider", "sonarqube-token"), dedent=False)
    f.add(f'  DEPLOY_PASSWORD: "⟦{t.password()}⟧"', A("generic", "ci-variable-password"), dedent=False)
    f.add("""\
          ⟦REGISTRY_PASSWORD: $CI_REGISTRY_PASSWORD⟧

        test:
          stage: test
          image: python:3.12
          script:
            - pip install -r requirements.txt
            - pytest -q

        build:
          stage: build
          script:
            - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
            - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .

        deploy:
          stage: deploy
          script:""", D("generic", "ci-variable-reference"))
    f.add(f'    - curl -fsS -u "deployer:⟦{t.password()}⟧" -X POST https://deploy.corp.lan/api/v1/rollout',
          A("generic", "curl-basic-auth-in-ci"), dedent=False)
    f.add(f"    - curl -X POST -F token=⟦glptt-{t.hex(40)}⟧ -F ref=main https://gitlab.com/api/v4/projects/4211/trigger/pipeline",
          A("provider", "gitlab-pipeline-trigger-token"), dedent=False)
    f.add("  only: [main]", dedent=False)


def github(c, root):
    t = c.t
    f = c.file(f"{root}/.github/workflows/release.yml", "ci")
    f.add("""\
        name: release
        on:
          push:
            tags: ["v*"]
        permissions:
          contents: write
        env:""")
    f.add(f"  SLACK_WEBHOOK_URL: ⟦{t.slack_webhook()}⟧", A("provider", "slack-webhook"), dedent=False)
    f.add("  ⟦NPM_TOKEN: ${{ secrets.NPM_TOKEN }}⟧", D("provider", "actions-secret-reference"), dedent=False)
    f.add("""\
        jobs:
          publish:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-node@v4
                with:
                  node-version: 20
                  registry-url: https://registry.npmjs.org
              - run: npm ci && npm publish
                env:""")
    f.add(f"          NODE_AUTH_TOKEN: ⟦{t.npm()}⟧", A("provider", "npm-token-in-workflow"), dedent=False)
    f.add(f"      - run: 'curl -sf -H \"Authorization: Bearer ⟦{t.alnum(40)}⟧\" https://hooks.corp.lan/release'",
          A("generic", "bearer-in-run-step"), dedent=False)

    g = c.file(f"{root}/.github/workflows/preview.yml", "ci")
    g.add("""\
        name: preview
        on: pull_request_target""")
    g.add("⟦permissions: write-all⟧", A("posture", "gha-write-all"))
    g.add("""\
        jobs:
          preview:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:""")
    g.add("          ⟦ref: ${{ github.event.pull_request.head.sha }}⟧",
          A("posture", "gha-prt-checkout-head"), dedent=False)
    g.add("      - run: ./scripts/deploy-preview.sh\n        env:\n"
          "          VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}", dedent=False)

    h = c.file(f"{root}/.github/workflows/ci.yml", "ci")
    h.add("""\
        name: ci
        on: [push, pull_request]
        ⟦jobs:
          test:⟧
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make test""", T("posture", "gha-permissions-missing", "hygiene: the org default decides"))

    v = c.file(f"{root}/third_party/actions/setup-tool/.github/workflows/test.yml", "ci", cls="true")
    v.add("""\
        name: test
        on: [push]
        ⟦jobs:
          test:⟧
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: npm test""", D("posture", "vendored-action-workflow", "GitHub never runs it"))


def jenkins(c, root):
    t = c.t
    f = c.file(f"{root}/Jenkinsfile", "ci")
    f.add("""\
        pipeline {
          agent any
          environment {""")
    f.add(f"    SONAR_TOKEN = '⟦{t.sonarqube()}⟧'", A("provider", "sonarqube-token"), dedent=False)
    f.add("    ⟦NEXUS_CREDS = credentials('nexus-deploy')⟧", D("generic", "jenkins-credentials-binding"),
          dedent=False)
    f.add("""\
          }
          stages {
            stage('Build') {
              steps {
                sh './gradlew build'
              }
            }
            stage('Push') {
              steps {""")
    f.add(f"        sh \"docker login -u ci -p ⟦{t.password()}⟧ nexus.corp.lan:8443\"",
          A("generic", "docker-login-in-jenkinsfile"), dedent=False)
    f.add("""\
                sh 'docker push nexus.corp.lan:8443/acme/app:latest'
              }
            }
          }
        }""")


def travis(c, root):
    t = c.t
    f = c.file(f"{root}/.travis.yml", "ci")
    f.add("language: python\npython: ['3.11']\nenv:\n  global:")
    f.add(f'    - ⟦secure: "{t.b64bytes(256)}"⟧', D("generic", "travis-encrypted-var"), dedent=False)
    f.add("script: pytest")


def logs(c, root):
    t = c.t
    f = c.file(f"{root}/build-4711.log", "ci-log")
    f.add("""\
        2026-10-02T08:14:01.112Z Running on runner-7f3k2 (docker executor)
        2026-10-02T08:14:03.551Z $ git fetch --depth 50 origin
        2026-10-02T08:14:05.020Z $ export NPM_TOKEN=***""")
    f.add(f"2026-10-02T08:14:05.884Z + docker login -u ci-bot -p ⟦{t.password()}⟧ registry.corp.lan",
          A("generic", "docker-login-in-log"))
    f.add("2026-10-02T08:14:06.002Z WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
    f.add(f"2026-10-02T08:14:09.410Z Setting DATABASE_URL=postgres://app:⟦{t.password(uri=True)}⟧@pg01.corp.lan:5432/app",
          A("generic", "uri-password-in-log"))
    f.add(f"2026-10-02T08:14:11.003Z [debug] request headers: {{'Authorization': 'token ⟦{t.github('ghs_')}⟧'}}",
          T("provider", "github-installation-token-in-log", "ghs_ tokens live one hour"))
    exp = t.jwt({"sub": "svc-deploy", "iat": 1790928000, "exp": 1790931600, "aud": "deploy-api"})
    f.add(f"2026-10-02T08:14:12.771Z curl -H 'Authorization: Bearer ⟦{exp}⟧' https://deploy.corp.lan/api",
          T("provider", "expired-jwt-in-log", "expired an hour after issue"))
    f.add(f"2026-10-02T08:14:13.102Z INFO connecting with user=etl password=⟦{t.password()}⟧ host=dwh01",
          A("generic", "mid-line-password-in-log"))
    f.add("""\
        2026-10-02T08:14:20.510Z Job succeeded
        2026-10-02T08:14:20.511Z ⟦Cleaning up secrets: API_TOKEN, DB_PASSWORD⟧""", D("generic", "variable-names-in-log"))


def generate(c):
    gitlab(c, "work/platform")
    github(c, "work/webapp")
    jenkins(c, "work/legacy-api")
    travis(c, "work/pylib")
    logs(c, "ci-artifacts/jobs")
