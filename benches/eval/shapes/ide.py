"""IDE and FTP client configs: FileZilla, WinSCP, VS Code, JetBrains, Sublime SFTP, PuTTY keys."""

import base64
import json

from .build import A


def _winscp_obfuscate(user, host, password):
    """WinSCP's reversible password obfuscation: each byte of flag/length/user+host+password is
    XORed with a fixed constant and written as two hex digits."""
    magic, flag = 0xA3, 0xFF
    data = (user + host + password).encode()
    raw = [flag, 0, len(data), 0] + list(data)
    return "".join(f"{~(b ^ magic) & 0xFF:02X}" for b in raw)


def filezilla(c, home):
    t = c.t
    f = c.file(f"{home}/AppData/Roaming/FileZilla/sitemanager.xml", "ftp-client")
    f.add("""\
        <?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
        <FileZilla3 version="3.66.4" platform="windows">
            <Servers>
                <Server>
                    <Host>ftp.acme-shop.com</Host>
                    <Port>21</Port>
                    <Protocol>0</Protocol>
                    <Type>0</Type>
                    <User>shopadmin</User>""")
    pw = base64.b64encode(t.password().encode()).decode()
    f.add(f'                <Pass encoding="base64">⟦{pw}⟧</Pass>',
          A("generic", "filezilla-base64-pass", "<Pass encoding=base64>"), dedent=False)
    f.add("""\
                    <Logontype>1</Logontype>
                    <Name>shop production</Name>
                </Server>
                <Server>
                    <Host>sftp.partner.net</Host>
                    <Port>22</Port>
                    <Protocol>1</Protocol>
                    <User>acme</User>""")
    pw = base64.b64encode(t.password("words").encode()).decode()
    f.add(f'                <Pass encoding="base64">⟦{pw}⟧</Pass>',
          A("generic", "filezilla-base64-pass"), dedent=False)
    f.add("""\
                    <Logontype>1</Logontype>
                    <Name>partner drop</Name>
                </Server>
            </Servers>
        </FileZilla3>""")
    g = c.file(f"{home}/AppData/Roaming/FileZilla/recentservers.xml", "ftp-client")
    g.add("""\
        <?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
        <FileZilla3>
            <RecentServers>
                <Server>
                    <Host>203.0.113.40</Host>
                    <Port>21</Port>
                    <User>webmaster</User>""")
    g.add(f"                <Pass>⟦{t.password()}⟧</Pass>", A("generic", "filezilla-plain-pass"),
          dedent=False)
    g.add("""\
                </Server>
            </RecentServers>
        </FileZilla3>""")


def winscp(c, home):
    t = c.t
    f = c.file(f"{home}/AppData/Roaming/WinSCP.ini", "ftp-client")
    f.add("""\
        [Configuration\\Interface]
        RandomSeedFile=%APPDATA%\\winscp.rnd

        [Sessions\\deploy@web01.corp.lan]
        HostName=web01.corp.lan
        UserName=deploy
        FSProtocol=0""")
    f.add(f"Password=⟦{_winscp_obfuscate('deploy', 'web01.corp.lan', t.password())}⟧",
          A("generic", "winscp-obfuscated-password", "WinSCP's obfuscation is reversible"))
    f.add("""\

        [Sessions\\backup@nas]
        HostName=nas.corp.lan
        UserName=backup
        PublicKeyFile=C:%5CUsers%5Cjdoe%5C.ssh%5Cid_rsa.ppk""")


def vscode(c, root):
    t = c.t
    f = c.file(f"{root}/.vscode/settings.json", "ide")
    text = json.dumps({
        "editor.formatOnSave": True,
        "python.defaultInterpreterPath": ".venv/bin/python",
        "http.proxy": "http://jdoe:⟦" + t.password(uri=True) + "⟧@proxy.corp.lan:3128",
        "sqltools.connections": [{
            "name": "billing-prod", "driver": "PostgreSQL", "server": "pg01.corp.lan", "port": 5432,
            "database": "billing", "username": "billing", "password": "⟦" + t.password() + "⟧",
        }, {
            "name": "local", "driver": "SQLite", "database": "${workspaceFolder}/dev.db",
        }],
        "rest-client.environmentVariables": {
            "prod": {"baseUrl": "https://api.acme.io", "token": "⟦" + t.stripe("rk_live_") + "⟧"},
        },
    }, indent=4, ensure_ascii=False)
    f.add(text, A("generic", "proxy-url-password"), A("generic", "sqltools-password"),
          A("provider", "stripe-restricted-key"), dedent=False)
    g = c.file(f"{root}/.vscode/sftp.json", "ide")
    text = json.dumps({
        "name": "web01", "host": "web01.corp.lan", "protocol": "sftp", "port": 22,
        "username": "deploy", "password": "⟦" + t.password() + "⟧", "remotePath": "/var/www/shop",
        "uploadOnSave": True,
        "profiles": {"staging": {"host": "stage01.corp.lan", "privateKeyPath": "~/.ssh/id_rsa"}},
    }, indent=4, ensure_ascii=False)
    g.add(text, A("generic", "vscode-sftp-password"), dedent=False)
    h = c.file(f"{root}/sftp-config.json", "ide")
    h.add("""\
        {
            // Sublime SFTP
            "type": "sftp",
            "save_before_upload": true,
            "upload_on_save": false,
            "host": "web02.corp.lan",
            "user": "deploy",""")
    h.add(f'    "password": "⟦{t.password()}⟧",', A("generic", "sublime-sftp-password"), dedent=False)
    h.add("""\
            "remote_path": "/var/www/blog/",
            "connect_timeout": 30
        }""")


def jetbrains(c, root):
    t = c.t
    f = c.file(f"{root}/.idea/dataSources.xml", "ide")
    f.add("""\
        <?xml version="1.0" encoding="UTF-8"?>
        <project version="4">
          <component name="DataSourceManagerImpl" format="xml" multifile-model="true">
            <data-source source="LOCAL" name="orders@prod" uuid="3c1f2a44-8d0b-4e51-9a77-0c2b4d6e8f10">
              <driver-ref>postgresql</driver-ref>
              <synchronize>true</synchronize>
              <jdbc-driver>org.postgresql.Driver</jdbc-driver>""")
    f.add(f"      <jdbc-url>jdbc:postgresql://pg02.corp.lan:5432/orders?user=orders&amp;password=⟦{t.password(uri=True)}⟧</jdbc-url>",
          A("generic", "jdbc-url-password-param"), dedent=False)
    f.add("""\
              <working-dir>$ProjectFileDir$</working-dir>
            </data-source>
          </component>
        </project>""")
    g = c.file(f"{root}/.idea/workspace.xml", "ide")
    g.add("""\
        <?xml version="1.0" encoding="UTF-8"?>
        <project version="4">
          <component name="RunManager">
            <configuration name="api" type="GoApplicationRunConfiguration" factoryName="Go Application">
              <envs>
                <env name="APP_ENV" value="production" />""")
    g.add(f'        <env name="DB_PASS" value="⟦{t.password()}⟧" />',
          A("generic", "xml-attribute-env-pass", "name=DB_PASS value=..."), dedent=False)
    g.add(f'        <env name="STRIPE_KEY" value="⟦{t.stripe()}⟧" />', A("provider", "stripe-secret-key"),
          dedent=False)
    g.add("""\
              </envs>
            </configuration>
          </component>
        </project>""")


def putty_key(c, home, key):
    f = c.file(f"{home}/Documents/keys/deploy.ppk", "ftp-client")
    f.add("⟦" + key.putty("deploy@example.com") + "⟧",
          A("provider", "putty-private-key", "a valid key whose comment says example.com"), dedent=False)


def generate(c):
    home = "Users/jdoe-win"
    filezilla(c, home)
    winscp(c, home)
    putty_key(c, home, c.keys[2])
    vscode(c, "work/shop-api")
    jetbrains(c, "work/orders-service")
