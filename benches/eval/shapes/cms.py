"""CMS and web framework configs: WordPress, Drupal, Joomla, Magento, Laravel, Django, Rails, Spring,
ASP.NET, phpMyAdmin."""

import json

from .build import A, D, T

AZ = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
SALT_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
              "!#%&()*+,-./:;<=>?@[]^_{|}~ ")


def _salt(t, n=64):
    s = t.pick(SALT_CHARS, n)
    return s.replace(" ", "!") if s.startswith(" ") or s.endswith(" ") else s


def wordpress(c, root):
    t = c.t
    f = c.file(f"{root}/wp-config.php", "cms")
    f.add("""\
        <?php
        /**
         * The base configuration for WordPress
         */

        // ** Database settings - You can get this info from your web host ** //
        define( 'DB_NAME', 'wp_shop' );
        define( 'DB_USER', 'wp_shop' );""")
    f.add(f"define( 'DB_PASSWORD', '⟦{t.password()}⟧' );", A("generic", "wordpress-db-password"))
    f.add("""\
        define( 'DB_HOST', 'localhost' );
        define( 'DB_CHARSET', 'utf8mb4' );
        define( 'DB_COLLATE', '' );

        /**#@+
         * Authentication unique keys and salts.
         */""")
    for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
                 "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"):
        pad = " " * (17 - len(name))
        v = _salt(t).replace("'", "!").replace("\\", "/")
        f.add(f"define( '{name}',{pad}'⟦{v}⟧' );",
              A("generic", "wordpress-salt", "spaces and punctuation in the value"))
    f.add("""\

        $table_prefix = 'wp_';
        define( 'WP_DEBUG', false );""")
    f.add(f"define( 'SMTP_PASS', '⟦{t.password()}⟧' );", A("generic", "wordpress-smtp-pass"))
    f.add("""\
        if ( ! defined( 'ABSPATH' ) ) {
        	define( 'ABSPATH', __DIR__ . '/' );
        }
        require_once ABSPATH . 'wp-settings.php';""")
    s = c.file(f"{root}/wp-config-sample.php", "cms", cls="true")
    s.add("""\
        <?php
        define( 'DB_NAME', 'database_name_here' );
        define( 'DB_USER', 'username_here' );""")
    s.add("⟦define( 'DB_PASSWORD', 'password_here' );⟧", D("generic", "wordpress-sample-password"))
    s.add("⟦define( 'AUTH_KEY',         'put your unique phrase here' );⟧", D("generic", "wordpress-sample-salt"))


def drupal(c, root):
    t = c.t
    f = c.file(f"{root}/sites/default/settings.php", "cms")
    f.add("""\
        <?php
        $databases['default']['default'] = array (
          'database' => 'drupal',
          'username' => 'drupal',""")
    f.add(f"  'password' => '⟦{t.password()}⟧',", A("generic", "drupal-db-password"), dedent=False)
    f.add("""\
          'prefix' => '',
          'host' => 'db.internal',
          'port' => '3306',
          'namespace' => 'Drupal\\\\mysql\\\\Driver\\\\Database\\\\mysql',
          'driver' => 'mysql',
        );""")
    f.add(f"$settings['hash_salt'] = '⟦{t.b64bytes(55, url=True).rstrip('=')}⟧';", A("generic", "drupal-hash-salt"))
    f.add("$settings['config_sync_directory'] = '../config/sync';")


def joomla(c, root):
    t = c.t
    f = c.file(f"{root}/configuration.php", "cms")
    f.add("""\
        <?php
        class JConfig {
        	public $offline = false;
        	public $sitename = 'Acme Outdoor';
        	public $dbtype = 'mysqli';
        	public $host = 'localhost';
        	public $user = 'joomla';""")
    f.add(f"\tpublic $password = '⟦{t.password()}⟧';", A("generic", "joomla-db-password"), dedent=False)
    f.add("\tpublic $db = 'joomla';\n\tpublic $dbprefix = 'jos_';", dedent=False)
    f.add(f"\tpublic $secret = '⟦{t.alnum(16)}⟧';", A("generic", "joomla-secret"), dedent=False)
    f.add("\tpublic $mailer = 'smtp';\n\tpublic $smtpuser = 'noreply@acme-outdoor.com';", dedent=False)
    f.add(f"\tpublic $smtppass = '⟦{t.password('words')}⟧';", A("generic", "joomla-smtppass"), dedent=False)
    f.add("\tpublic $smtphost = 'smtp.mailgun.org';\n}", dedent=False)


def magento(c, root):
    t = c.t
    f = c.file(f"{root}/app/etc/env.php", "cms")
    f.add("""\
        <?php
        return [
            'backend' => [
                'frontName' => 'admin_1q2w3e'
            ],
            'crypt' => [""")
    f.add(f"        'key' => '⟦{t.hex(32)}⟧'", A("generic", "magento-crypt-key"), dedent=False)
    f.add("""\
            ],
            'db' => [
                'table_prefix' => '',
                'connection' => [
                    'default' => [
                        'host' => 'mysql.internal',
                        'dbname' => 'magento',
                        'username' => 'magento',""")
    f.add(f"                'password' => '⟦{t.password()}⟧',", A("generic", "magento-db-password"),
          dedent=False)
    f.add("""\
                        'active' => '1'
                    ]
                ]
            ],
            'MAGE_MODE' => 'production'
        ];""")


def laravel(c, root):
    t = c.t
    f = c.file(f"{root}/.env", "dotenv")
    f.add("APP_NAME=Ledger\nAPP_ENV=production")
    f.add(f"APP_KEY=⟦base64:{t.b64bytes(32)}⟧", A("generic", "laravel-app-key"))
    f.add("APP_DEBUG=false\nAPP_URL=https://ledger.acme.io\n\nDB_CONNECTION=mysql\nDB_HOST=10.1.0.12\nDB_PORT=3306\nDB_DATABASE=ledger\nDB_USERNAME=ledger")
    f.add(f"DB_PASSWORD=⟦{t.password()}⟧", A("generic", "dotenv-db-password"))
    f.add("\nMAIL_MAILER=smtp\nMAIL_HOST=smtp.sendgrid.net\nMAIL_USERNAME=apikey")
    f.add(f"MAIL_PASSWORD=⟦{t.sendgrid()}⟧", A("provider", "sendgrid-key"))
    f.add(f"\nAWS_ACCESS_KEY_ID=⟦{t.aws_key_id()}⟧", A("provider", "aws-access-key-id"))
    f.add(f"AWS_SECRET_ACCESS_KEY=⟦{t.aws_secret()}⟧", A("provider", "aws-secret-access-key"))
    f.add("AWS_DEFAULT_REGION=eu-central-1\nAWS_BUCKET=ledger-uploads\n\nPUSHER_APP_ID=1730021")
    f.add(f"PUSHER_APP_KEY={t.hex(20)}")
    f.add(f"PUSHER_APP_SECRET=⟦{t.hex(20)}⟧", A("provider", "pusher-app-secret"))
    f.add(f"STRIPE_SECRET=⟦{t.stripe()}⟧", A("provider", "stripe-secret-key"))
    f.add(f"REDIS_PASSWORD=⟦{t.password('short')}⟧", A("generic", "dotenv-short-password", "8 chars"))
    f.add(f"MAILCHIMP_KEY=⟦{t.mailchimp()}⟧", A("provider", "mailchimp-key"))
    e = c.file(f"{root}/.env.example", "dotenv", cls="true")
    e.add("APP_NAME=Laravel\nAPP_ENV=local")
    e.add("⟦APP_KEY=⟧", D("generic", "empty-app-key"))
    e.add("DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_USERNAME=root")
    e.add("⟦DB_PASSWORD=secret⟧", D("generic", "dotenv-example-password"))
    e.add("⟦MAIL_PASSWORD=null⟧", D("generic", "null-password"))
    e.add("⟦AWS_SECRET_ACCESS_KEY=⟧", D("provider", "empty-aws-secret"))
    e.add("⟦STRIPE_SECRET=sk_live_...⟧", D("provider", "stripe-ellipsis"))


def django(c, root):
    t = c.t
    f = c.file(f"{root}/acme/settings/production.py", "framework")
    f.add("""\
        from .base import *  # noqa

        DEBUG = False
        ALLOWED_HOSTS = ["shop.acme.io"]
        """)
    dj = t.pick("abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)", 50)
    f.add(f"SECRET_KEY = '⟦{dj}⟧'", A("generic", "django-secret-key", "punctuation in the value"))
    f.add("""\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "shop",""")
    f.add(f'        "PASSWORD": "⟦{t.password()}⟧",', A("generic", "django-db-password"), dedent=False)
    f.add("""\
                "HOST": "pg01.corp.lan",
            }
        }
        EMAIL_HOST = "smtp.office365.com"
        EMAIL_HOST_USER = "shop@acme.io\"""")
    f.add(f'EMAIL_HOST_PASSWORD = "⟦{t.password("words")}⟧"', A("generic", "django-email-password"))
    f.add("⟦SESSION_COOKIE_NAME = \"sessionid\"⟧", D("generic", "cookie-name"))
    g = c.file(f"{root}/acme/settings/dev.py", "framework", cls="true")
    g.add("from .base import *  # noqa\n")
    g.add(f"SECRET_KEY = '⟦django-insecure-{t.pick('abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)', 50)}⟧'",
          T("generic", "django-insecure-dev-key", "startproject's development key"))


def rails(c, root):
    t = c.t
    f = c.file(f"{root}/config/database.yml", "framework")
    f.add("""\
        default: &default
          adapter: postgresql
          encoding: unicode
          pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

        development:
          <<: *default
          database: store_development

        production:
          <<: *default
          database: store_production
          username: store""")
    f.add(f"  password: ⟦{t.password()}⟧", A("generic", "rails-database-yml-password"), dedent=False)
    f.add("  host: pg01.corp.lan", dedent=False)
    g = c.file(f"{root}/config/master.key", "framework")
    g.add(f"⟦{t.hex(32)}⟧", A("generic", "rails-master-key", "a bare 32-hex file"))
    h = c.file(f"{root}/config/secrets.yml", "framework")
    h.add("production:")
    h.add(f"  secret_key_base: ⟦{t.hex(128)}⟧", A("generic", "rails-secret-key-base"), dedent=False)
    h.add("test:")
    h.add("  ⟦secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>⟧", D("generic", "erb-env-reference"), dedent=False)


def spring(c, root):
    t = c.t
    f = c.file(f"{root}/src/main/resources/application-prod.properties", "framework")
    f.add("server.port=8080\nspring.datasource.url=jdbc:postgresql://pg01.corp.lan:5432/payments\nspring.datasource.username=payments")
    f.add(f"spring.datasource.password=⟦{t.password()}⟧", A("generic", "spring-datasource-password"))
    f.add(f"app.jwt.secret=⟦{t.b64bytes(48)}⟧", A("generic", "spring-jwt-secret"))
    f.add("spring.mail.host=smtp.gmail.com\nspring.mail.username=alerts@acme.io")
    f.add(f"spring.mail.password=⟦{t.pick('abcdefghijklmnopqrstuvwxyz', 16)}⟧",
          A("generic", "gmail-app-password", "16 lowercase letters"))
    f.add("⟦spring.datasource.hikari.maximum-pool-size=10⟧", D("generic", "innocuous-number"))
    f.add("⟦management.endpoints.web.exposure.include=health,info⟧", D("generic", "innocuous"))
    g = c.file(f"{root}/src/main/resources/application.yml", "framework")
    g.add("""\
        spring:
          datasource:
            url: jdbc:postgresql://localhost:5432/payments
            username: payments""")
    g.add("    ⟦password: ${DB_PASSWORD}⟧", D("generic", "spring-placeholder-reference"), dedent=False)
    g.add("""\
        app:
          stripe:""")
    g.add(f"    api-key: ⟦{t.stripe()}⟧", A("provider", "stripe-secret-key"), dedent=False)


def aspnet(c, root):
    t = c.t
    f = c.file(f"{root}/appsettings.Production.json", "framework")
    text = json.dumps({
        "Logging": {"LogLevel": {"Default": "Warning"}},
        "ConnectionStrings": {
            "Default": "Server=tcp:acme-sql.database.windows.net,1433;Initial Catalog=crm;User ID=crmapp;Password=⟦"
                       + t.password() + "⟧;Encrypt=True;",
            "Storage": "DefaultEndpointsProtocol=https;AccountName=acmecrm;AccountKey=⟦"
                       + t.azure_storage_key() + "⟧;EndpointSuffix=core.windows.net",
        },
        "Smtp": {"Host": "smtp.office365.com", "User": "crm@acme.io", "Password": "⟦" + t.password() + "⟧"},
        "AzureAd": {"Instance": "https://login.microsoftonline.com/", "TenantId": "⟦" + t.uuid() + "⟧",
                    "ClientId": "⟦" + t.uuid() + "⟧",
                    "ClientSecret": "⟦" + t.pick(AZ, 3) + "8Q~" + t.pick(AZ, 34) + "⟧"},
    }, indent=2, ensure_ascii=False)
    f.add(text, A("generic", "ado-connection-string-password"), A("provider", "azure-storage-account-key"),
          A("generic", "appsettings-smtp-password"), D("generic", "tenant-id-uuid"),
          D("generic", "client-id-uuid"), A("provider", "azure-entra-client-secret"), dedent=False)
    g = c.file(f"{root}/Web.config", "framework")
    g.add("""\
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <connectionStrings>""")
    g.add(f'    <add name="Legacy" connectionString="Data Source=sql01;Initial Catalog=crm_legacy;User Id=sa;Password=⟦{t.password()}⟧;" providerName="System.Data.SqlClient" />',
          A("generic", "webconfig-connection-string"), dedent=False)
    g.add("""\
          </connectionStrings>
          <appSettings>
            <add key="SmtpUser" value="crm@acme.io" />""")
    g.add(f'    <add key="SmtpPassword" value="⟦{t.password()}⟧" />', A("generic", "webconfig-appsetting-password"),
          dedent=False)
    g.add(f'    <add key="PaymentGatewayKey" value="⟦{t.alnum(32)}⟧" />', A("generic", "webconfig-appsetting-key"),
          dedent=False)
    g.add("""\
          </appSettings>
        </configuration>""")


def phpmyadmin(c, root):
    t = c.t
    f = c.file(f"{root}/config.inc.php", "cms")
    f.add("<?php")
    f.add(f"$cfg['blowfish_secret'] = '⟦{t.alnum(32)}⟧';", A("generic", "phpmyadmin-blowfish-secret"))
    f.add("$i = 0;\n$i++;\n$cfg['Servers'][$i]['auth_type'] = 'config';\n$cfg['Servers'][$i]['user'] = 'root';")
    f.add(f"$cfg['Servers'][$i]['password'] = '⟦{t.password()}⟧';", A("generic", "phpmyadmin-password"))


def generate(c):
    wordpress(c, "srv/www/shop.acme-outdoor.com")
    wordpress(c, "var/www/html")
    drupal(c, "srv/www/intranet")
    joomla(c, "srv/www/outdoor")
    magento(c, "srv/magento")
    laravel(c, "apps/ledger")
    django(c, "apps/shop")
    rails(c, "apps/store")
    spring(c, "services/payments")
    aspnet(c, "services/crm")
    phpmyadmin(c, "srv/www/pma")
