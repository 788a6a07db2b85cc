"""Application code in seven languages, a Jupyter notebook with outputs, a minified bundle."""

import json

from .build import A, D, T


def python(c, root):
    t = c.t
    f = c.file(f"{root}/billing/db.py", "code-python")
    f.add("""\
        import os

        import boto3
        import psycopg2
        import requests


        def connect():
            return psycopg2.connect(
                host="pg01.corp.lan",
                dbname="billing",
                user="billing",""")
    f.add(f'        password="⟦{t.password()}⟧",', A("generic", "python-kwarg-password"), dedent=False)
    f.add("    )\n\n\ndef s3():\n    return boto3.client(\n        \"s3\",", dedent=False)
    f.add(f'        aws_access_key_id="⟦{t.aws_key_id()}⟧",', A("provider", "aws-access-key-id"), dedent=False)
    f.add(f'        aws_secret_access_key="⟦{t.aws_secret()}⟧",', A("provider", "aws-secret-access-key"),
          dedent=False)
    f.add("    )\n\n\ndef fetch_invoices():", dedent=False)
    f.add(f'    return requests.get("https://erp.corp.lan/api/invoices", auth=("svc-billing", "⟦{t.password()}⟧"))',
          A("generic", "python-auth-tuple", "auth=(user, pass)"), dedent=False)
    f.add("\n\ndef mailer(smtp):", dedent=False)
    f.add(f'    smtp.login("billing@acme.io", "⟦{t.password("words")}⟧")',
          A("generic", "python-login-call", "login(user, pass)"), dedent=False)
    f.add("\n\ndef env_db():", dedent=False)
    f.add('    ⟦return psycopg2.connect(password=os.environ["DB_PASSWORD"])⟧', D("generic", "env-reference"),
          dedent=False)
    f.add("\n\ndef first(tokens):\n    ⟦token = tokens[0]⟧\n    return token", D("generic", "variable-assignment"),
          dedent=False)
    g = c.file(f"{root}/billing/settings.py", "code-python")
    g.add(f'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://billing:⟦{t.password(uri=True)}⟧@pg01.corp.lan/billing"',
          A("generic", "sqlalchemy-uri"))
    g.add(f'STRIPE_API_KEY = "⟦{t.stripe()}⟧"', A("provider", "stripe-secret-key"))
    g.add(f'TWILIO_ACCOUNT_SID = "{t.twilio_sid()}"')
    g.add(f'TWILIO_AUTH_TOKEN = "⟦{t.hex(32)}⟧"', A("provider", "twilio-auth-token"))
    g.add(f'AIRTABLE_TOKEN = "⟦{t.airtable()}⟧"', A("provider", "airtable-pat"))
    g.add(f'HUBSPOT_TOKEN = "⟦{t.hubspot()}⟧"', A("provider", "hubspot-private-app-token"))
    g.add(f'mapbox_token = "⟦{t.mapbox()}⟧"', A("provider", "mapbox-secret-token"))
    g.add(f'jfrogToken = "⟦{t.alnum(64)}⟧"', A("provider", "jfrog-prefixless", "provider only in the name"))
    g.add(f'Twilio_key = "⟦{t.alnum(32)}⟧"', A("provider", "twilio-prefixless", "provider only in the name"))
    g.add('⟦SECRET_KEY_FILE = "/run/secrets/app_key"⟧', D("generic", "path-to-secret-file"))
    g.add('⟦PASSWORD_RESET_URL = "/password/reset/<token>"⟧', D("generic", "route-string"))


def go(c, root):
    t = c.t
    f = c.file(f"{root}/internal/store/store.go", "code-go")
    f.add("""\
        package store

        import (
        	"context"
        	"database/sql"
        	"net/smtp"
        	"os"

        	"go.mongodb.org/mongo-driver/mongo"
        	"go.mongodb.org/mongo-driver/mongo/options"
        )
        """)
    f.add(f'const stripeKey = "⟦{t.stripe()}⟧"', A("provider", "stripe-secret-key"))
    f.add("\nfunc Open() (*sql.DB, error) {")
    f.add(f'\treturn sql.Open("postgres", "host=pg01.corp.lan user=store password=⟦{t.password()}⟧ dbname=store sslmode=require")',
          A("generic", "go-libpq-dsn-password", "key=value DSN"), dedent=False)
    f.add("}\n\nfunc Mongo(ctx context.Context) (*mongo.Client, error) {")
    f.add(f'\treturn mongo.Connect(ctx, options.Client().ApplyURI("mongodb+srv://store:⟦{t.password(uri=True)}⟧@cluster0.x1y2z.mongodb.net/store"))',
          A("generic", "mongodb-srv-uri"), dedent=False)
    f.add("}\n\nfunc Mailer() smtp.Auth {")
    f.add(f'\treturn smtp.PlainAuth("", "store@acme.io", "⟦{t.password()}⟧", "smtp.office365.com")',
          A("generic", "go-plainauth-arg", "positional call argument"), dedent=False)
    f.add("}\n\nfunc Key() string {\n\t⟦return os.Getenv(\"API_KEY\")⟧\n}", D("generic", "getenv-reference"),
          dedent=False)
    f.add(f'\nvar slackToken = "⟦{t.slack_bot()}⟧"', A("provider", "slack-bot-token"))
    f.add(f'var ddAPIKey = "⟦{t.hex(32)}⟧"', A("provider", "datadog-api-key-go"))


def java(c, root):
    t = c.t
    f = c.file(f"{root}/src/main/java/com/acme/reports/ReportJob.java", "code-java")
    f.add("""\
        package com.acme.reports;

        import java.net.Authenticator;
        import java.net.PasswordAuthentication;
        import java.sql.Connection;
        import java.sql.DriverManager;

        public class ReportJob {""")
    f.add(f'    private static final String SENDGRID_API_KEY = "⟦{t.sendgrid()}⟧";', A("provider", "sendgrid-key"),
          dedent=False)
    f.add("\n    Connection open() throws Exception {", dedent=False)
    f.add(f'        return DriverManager.getConnection("jdbc:mysql://db01.corp.lan:3306/reports", "reports", "⟦{t.password()}⟧");',
          A("generic", "jdbc-getconnection-arg", "third positional argument"), dedent=False)
    f.add("    }\n\n    void proxy() {\n        Authenticator.setDefault(new Authenticator() {\n            protected PasswordAuthentication getPasswordAuthentication() {",
          dedent=False)
    f.add(f'                return new PasswordAuthentication("svc-proxy", "⟦{t.password()}⟧".toCharArray());',
          A("generic", "java-password-authentication"), dedent=False)
    f.add("            }\n        });\n    }\n\n    void pool(com.zaxxer.hikari.HikariDataSource ds) {", dedent=False)
    f.add(f'        ds.setPassword("⟦{t.password()}⟧");', A("generic", "java-setter"), dedent=False)
    f.add('        ⟦ds.setPassword(System.getenv("REPORTS_DB_PASSWORD"));⟧', D("generic", "getenv-reference"),
          dedent=False)
    f.add("    }\n}", dedent=False)
    g = c.file(f"{root}/src/main/resources/settings.xml", "code-java")
    g.add("<settings>\n  <servers>\n    <server>\n      <id>acme-releases</id>\n      <username>deployer</username>")
    g.add(f"      <password>⟦{t.password()}⟧</password>", A("generic", "maven-settings-password"), dedent=False)
    g.add("    </server>\n  </servers>\n</settings>")
    h = c.file(f"{root}/build.gradle", "code-java")
    h.add("""\
        repositories {
            maven {
                url "https://nexus.corp.lan/repository/releases"
                credentials {
                    username 'deployer'""")
    h.add(f"            password '⟦{t.password()}⟧'", A("generic", "gradle-credentials-block"), dedent=False)
    h.add("        }\n    }\n}", dedent=False)


def csharp(c, root):
    t = c.t
    f = c.file(f"{root}/Services/BackupService.cs", "code-csharp")
    f.add("""\
        using System.Net;
        using SendGrid;
        using Microsoft.Data.SqlClient;

        namespace Acme.Backup;

        public class BackupService
        {""")
    f.add(f'    private readonly NetworkCredential _share = new NetworkCredential("svc_backup", "⟦{t.password()}⟧", "CORP");',
          A("generic", "networkcredential-arg"), dedent=False)
    f.add(f'    private const string Conn = "Server=sql02.corp.lan;Database=backup;User Id=backup;Password=⟦{t.password()}⟧;TrustServerCertificate=True";',
          A("generic", "ado-connection-string"), dedent=False)
    f.add(f'    private readonly SendGridClient _mail = new SendGridClient("⟦{t.sendgrid()}⟧");',
          A("provider", "sendgrid-key"), dedent=False)
    f.add(f'    private const string OdbcConn = "Driver={{ODBC Driver 18 for SQL Server}};Server=sql03;Uid=etl;Pwd=⟦{t.password()}⟧;";',
          A("generic", "odbc-connection-string"), dedent=False)
    f.add(f'    private const string Legacy = "Data Source=ora01:1521/ORCL;User Id=app;Password=⟦{t.password()}⟧;";',
          A("generic", "ado-without-driver-keyword"), dedent=False)
    f.add("}")


def javascript(c, root):
    t = c.t
    f = c.file(f"{root}/src/server/db.js", "code-js")
    f.add("const { Pool } = require('pg');\nconst twilio = require('twilio');\nconst jwt = require('jsonwebtoken');\nconst mongoose = require('mongoose');\n")
    f.add(f"const pool = new Pool({{ host: 'pg01.corp.lan', user: 'web', password: '⟦{t.password()}⟧', database: 'web' }});",
          A("generic", "js-object-password"))
    f.add(f"const client = twilio('{t.twilio_sid()}', '⟦{t.hex(32)}⟧');", A("provider", "twilio-auth-token-positional"))
    f.add(f"mongoose.connect('mongodb://admin:⟦{t.password(uri=True)}⟧@mongo01.corp.lan:27017/web?authSource=admin');",
          A("generic", "mongodb-uri"))
    f.add(f"const sign = (payload) => jwt.sign(payload, '⟦{t.alnum(40)}⟧', {{ expiresIn: '1h' }});",
          A("generic", "jwt-sign-secret-arg", "secret as a positional argument"))
    f.add("⟦const verify = (tok) => jwt.verify(tok, process.env.JWT_SECRET);⟧", D("generic", "env-reference"))
    f.add(f"const headers = {{ 'X-Api-Key': '⟦{t.alnum(32)}⟧' }};", A("generic", "header-api-key"))
    f.add(f"export const OPENAI_KEY = '⟦{t.openai()}⟧';", A("provider", "openai-key"))
    f.add("⟦const sel = 'input[name=\"password\"], input[type=\"password\"]';⟧", D("generic", "css-selector"))
    f.add("⟦const rookTable = buildTable(oktaSettings, tokenizer);⟧", D("generic", "identifiers"))
    g = c.file(f"{root}/config/default.json", "code-js")
    g.add(json.dumps({
        "server": {"port": 8080},
        "auth": {"clientId": "⟦" + t.uuid() + "⟧", "clientSecret": "⟦" + t.alnum(40) + "⟧"},
        "mail": {"apiKey": "⟦1234567890⟧"},
    }, indent=2, ensure_ascii=False), D("generic", "client-id-uuid"), A("generic", "json-client-secret"),
        D("generic", "filler-digits"), dedent=False)


def php(c, root):
    t = c.t
    f = c.file(f"{root}/includes/db.php", "code-php")
    f.add("<?php")
    f.add(f"$pdo = new PDO('mysql:host=db01.corp.lan;dbname=shop', 'shop', '⟦{t.password()}⟧');",
          A("generic", "pdo-positional-password"))
    f.add(f"$link = mysqli_connect('localhost', 'root', '⟦{t.password()}⟧', 'legacy');",
          A("generic", "mysqli-positional-password"))
    f.add("$mail = new PHPMailer\\PHPMailer\\PHPMailer();\n$mail->Username = 'shop@acme.io';")
    f.add(f"$mail->Password = '⟦{t.password()}⟧';", A("generic", "phpmailer-password"))
    f.add(f"$stripe = new \\Stripe\\StripeClient('⟦{t.stripe()}⟧');", A("provider", "stripe-secret-key"))
    f.add("⟦$password = $_POST['password'] ?? '';⟧", D("generic", "request-variable"))


def ruby(c, root):
    t = c.t
    f = c.file(f"{root}/config/initializers/services.rb", "code-ruby")
    f.add(f'Stripe.api_key = "⟦{t.stripe()}⟧"', A("provider", "stripe-secret-key"))
    f.add(f'ActiveRecord::Base.establish_connection(adapter: "postgresql", host: "pg01", username: "app", password: "⟦{t.password()}⟧")',
          A("generic", "ruby-kwarg-password"))
    f.add(f"Net::SMTP.start('smtp.corp.lan', 587, 'acme.io', 'mailer', '⟦{t.password()}⟧', :login) {{ |smtp| smtp }}",
          A("generic", "ruby-smtp-positional"))
    f.add('⟦Sidekiq.configure_server { |c| c.redis = { url: ENV.fetch("REDIS_URL") } }⟧', D("generic", "env-reference"))
    f.add(f'Octokit.configure {{ |c| c.access_token = "⟦{t.github()}⟧" }}', A("provider", "github-pat"))
    h = c.file(f"{root}/public/saved/checkout.html", "code-ruby")
    h.add('<form action="/checkout" method="post">')
    h.add(f'  ⟦<input type="hidden" name="authenticity_token" value="{t.b64bytes(64)}" autocomplete="off">⟧',
          D("generic", "rails-authenticity-token"), dedent=False)
    h.add("</form>")


def notebook(c, root):
    t = c.t
    f = c.file(f"{root}/analysis/churn.ipynb", "notebook")
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
             "source": ["import openai\n", "import os\n",
                        "openai.api_key = \"⟦" + t.openai() + "⟧\"\n",
                        "os.environ[\"HF_TOKEN\"] = \"⟦" + t.huggingface() + "⟧\""]},
            {"cell_type": "code", "execution_count": 2, "metadata": {},
             "outputs": [{"name": "stdout", "output_type": "stream", "text": [
                 "AWS_DEFAULT_REGION=eu-west-1\n",
                 "AWS_ACCESS_KEY_ID=⟦" + t.aws_key_id() + "⟧\n",
                 "AWS_SECRET_ACCESS_KEY=⟦" + t.aws_secret() + "⟧\n"]}],
             "source": ["!env | grep AWS"]},
            {"cell_type": "code", "execution_count": 3, "metadata": {},
             "outputs": [{"data": {"text/plain": ["'postgresql://analyst:⟦" + t.password(uri=True)
                                                  + "⟧@dwh01.corp.lan:5432/dwh'"]},
                          "execution_count": 3, "metadata": {}, "output_type": "execute_result"}],
             "source": ["engine.url.render_as_string(hide_password=False)"]},
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    f.add(json.dumps(nb, indent=1, ensure_ascii=False), A("provider", "openai-key-in-notebook"),
          A("provider", "hf-token-in-notebook"), A("provider", "aws-key-id-in-output"),
          A("provider", "aws-secret-in-output"), A("generic", "uri-password-in-output"), dedent=False)


def bundle(c, root):
    t = c.t
    f = c.file(f"{root}/dist/assets/index-4f2a9c1b.js", "bundle")
    rng = c.rng
    words = ["function", "return", "var", "const", "this", "null", "void", "typeof", "new", "Object"]

    def noise(n):
        return ";".join(f"{rng.choice(words)} {t.pick('abcdefghij', 2)}={rng.randint(0, 999)}" for _ in range(n))

    parts = [
        "!function(){\"use strict\";" + noise(600),
        "const Ka={apiKey:\"⟦" + t.google_api() + "⟧\",authDomain:\"acme-web.firebaseapp.com\",projectId:\"acme-web\"};",
        noise(600),
        "const Pk=\"⟦pk_live_51" + t.alnum(97) + "⟧\";",
        noise(600),
        "fetch(\"/v1/charges\",{headers:{Authorization:\"Bearer ⟦" + t.stripe() + "⟧\"}});",
        noise(600), "}();",
    ]
    f.add("".join(parts), T("provider", "firebase-web-api-key", "public by design; restrict it"),
          D("provider", "stripe-publishable-key"), A("provider", "stripe-secret-in-bundle"), dedent=False)


def generate(c):
    python(c, "services/billing")
    go(c, "services/store")
    java(c, "services/reports")
    csharp(c, "services/backup")
    javascript(c, "apps/web")
    php(c, "srv/www/legacy-shop")
    ruby(c, "apps/store")
    notebook(c, "notebooks")
    bundle(c, "apps/web")
