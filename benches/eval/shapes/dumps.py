"""Database dumps and system files holding password hashes (and a few plaintext passwords)."""

import json

from .build import A, D


def shop_dump(c, path):
    t = c.t
    f = c.file(path, "db-dump")
    f.add("""\
        -- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
        --
        -- Host: localhost    Database: shop
        -- ------------------------------------------------------
        /*!40101 SET NAMES utf8mb4 */;

        DROP TABLE IF EXISTS `users`;
        CREATE TABLE `users` (
          `id` int NOT NULL AUTO_INCREMENT,
          `email` varchar(255) NOT NULL,
          `password_hash` varchar(255) NOT NULL,
          `api_token` varchar(80) DEFAULT NULL,
          PRIMARY KEY (`id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

        LOCK TABLES `users` WRITE;
        INSERT INTO `users` VALUES""")
    names = ["anna.berg", "li.wei", "omar.haddad", "sofia.rossi", "ken.sato", "maria.lopez"]
    for i, n in enumerate(names, 1):
        end = ";" if i == len(names) else ","
        tok = f"'⟦{t.alnum(60)}⟧'" if i == 2 else "NULL"
        labels = [A("hash", "bcrypt-in-sql-dump")]
        if i == 2:
            labels.append(A("generic", "api-token-column", "a 60-char token in an api_token column"))
        f.add(f"({i},'{n}@acme-outdoor.com','⟦{t.bcrypt()}⟧',{tok}){end}", *labels)
    f.add("""\
        UNLOCK TABLES;

        DROP TABLE IF EXISTS `integrations`;
        CREATE TABLE `integrations` (`id` int, `provider` varchar(32), `secret` text);
        INSERT INTO `integrations` VALUES""")
    f.add(f"(1,'stripe','⟦{t.stripe()}⟧'),", A("provider", "stripe-key-in-dump"))
    f.add(f"(2,'sendgrid','⟦{t.sendgrid()}⟧'),", A("provider", "sendgrid-key-in-dump"))
    f.add(f"(3,'slack','⟦{t.slack_webhook()}⟧');", A("provider", "slack-webhook-in-dump"))
    f.add("")
    f.add(f"CREATE USER 'report'@'%' IDENTIFIED BY '⟦{t.password()}⟧';", A("generic", "sql-create-user-password"))
    f.add("GRANT SELECT ON shop.* TO 'report'@'%';")
    f.add(f"CREATE USER 'legacy'@'localhost' IDENTIFIED WITH mysql_native_password AS '⟦{t.mysql_native()}⟧';",
          A("hash", "mysql-native-hash"))


def wordpress_dump(c, path):
    t = c.t
    f = c.file(path, "db-dump")
    f.add("""\
        -- WordPress database backup
        INSERT INTO `wp_users` (`ID`, `user_login`, `user_pass`, `user_nicename`, `user_email`) VALUES""")
    for i, n in enumerate(["admin", "editor", "shopmanager"], 1):
        end = ";" if i == 3 else ","
        f.add(f"({i}, '{n}', '⟦{t.phpass()}⟧', '{n}', '{n}@acme-outdoor.com'){end}", A("hash", "wordpress-phpass"))
    f.add(f"INSERT INTO `wp_options` (`option_name`, `option_value`) VALUES ('mailserver_pass', '⟦{t.password()}⟧');",
          A("generic", "wp-options-mailserver-pass"))
    f.add("INSERT INTO `wp_options` (`option_name`, `option_value`) VALUES ('blogname', 'Acme Outdoor');")


def postgres_dump(c, path):
    t = c.t
    f = c.file(path, "db-dump")
    f.add("""\
        --
        -- PostgreSQL database cluster dump
        --
        SET default_transaction_read_only = off;
        CREATE ROLE app;""")
    f.add(f"ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN PASSWORD '⟦{t.scram()}⟧';",
          A("hash", "postgres-scram"))
    f.add("CREATE ROLE legacy_etl;")
    f.add(f"ALTER ROLE legacy_etl WITH LOGIN PASSWORD '⟦{t.pg_md5()}⟧';", A("hash", "postgres-md5"))
    f.add(f"ALTER USER grafana WITH PASSWORD '⟦{t.password()}⟧';", A("generic", "postgres-plaintext-password"))
    f.add("""\

        COPY public.accounts (id, username, password, created_at) FROM stdin;""")
    for i, n in enumerate(["jlee", "pmartin", "akumar"], 1):
        f.add(f"{i}\t{n}\t⟦{t.argon2()}⟧\t2025-0{i}-11 09:12:00", A("hash", "argon2-in-copy"))
    f.add("\\.")


def django_fixture(c, path):
    t = c.t
    f = c.file(path, "db-dump")
    rows = [{"model": "auth.user", "pk": i, "fields": {
        "username": n, "password": "⟦" + t.django_pbkdf2() + "⟧", "is_superuser": i == 1,
        "email": f"{n}@acme.io"}} for i, n in enumerate(["admin", "support"], 1)]
    f.add(json.dumps(rows, indent=2, ensure_ascii=False), A("hash", "django-pbkdf2"),
          A("hash", "django-pbkdf2"), dedent=False)


def system_files(c):
    t = c.t
    f = c.file("backup/etc/shadow", "system")
    f.add("root:⟦" + t.sha512crypt() + "⟧:19800:0:99999:7:::", A("hash", "shadow-sha512crypt"))
    f.add("daemon:*:19800:0:99999:7:::\nbin:*:19800:0:99999:7:::\nsshd:!:19800::::::")
    f.add("deploy:⟦" + t.yescrypt() + "⟧:19811:0:99999:7:::", A("hash", "shadow-yescrypt"))
    f.add("⟦nobody:!*:19800::::::⟧", D("hash", "locked-account"))
    g = c.file("srv/www/metrics/.htpasswd", "system")
    g.add("prometheus:⟦" + t.apr1() + "⟧", A("hash", "htpasswd-apr1"))
    g.add("grafana:⟦" + t.bcrypt("$2y$05$") + "⟧", A("hash", "htpasswd-bcrypt"))
    h = c.file("backup/etc/mysql/debian.cnf", "system")
    h.add("[client]\nhost     = localhost\nuser     = debian-sys-maint")
    h.add(f"password = ⟦{t.alnum(16)}⟧", A("generic", "debian-cnf-password"))
    h.add("socket   = /var/run/mysqld/mysqld.sock")


def generate(c):
    shop_dump(c, "backup/db/shop-2026-10-01.sql")
    wordpress_dump(c, "srv/www/shop.acme-outdoor.com/wp-content/backup-db/wp_backup.sql")
    postgres_dump(c, "backup/db/pg_dumpall.sql")
    django_fixture(c, "backup/db/dumpdata-auth-user.json")
    system_files(c)
