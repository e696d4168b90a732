// node lib/check-servers.mjs [--tcp] pg mysql2 : can the suites reach their databases? --tcp only checks
// that the port is open (before the peers' drivers are installed); without it, connects and runs SELECT 1
// with the peers' own drivers. Prints what is missing and how to fix it; exit 2 if something is.
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { need } from './common.mjs';

const require = createRequire(import.meta.url);
const START = {
  pg: [
    'PostgreSQL must listen on 127.0.0.1:5432 with trust auth for user postgres and have a database "test". To start it:',
    '  Debian/Ubuntu without systemd:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    '  with systemd:                   sudo systemctl start postgresql',
    '  docker:                         docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16',
    '  missing database:               createdb -h 127.0.0.1 -U postgres test',
  ],
  mysql2: [
    'MariaDB (or MySQL) must listen on 127.0.0.1:3306 with user root, empty password, and have a database "test". To start it:',
    '  Debian/Ubuntu without systemd:  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
    '  with systemd:                   sudo systemctl start mariadb',
    '  docker:                         docker run -d -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 -e MARIADB_DATABASE=test mariadb:11',
    '  missing database:               mysql -h 127.0.0.1 -u root -e "CREATE DATABASE test"',
  ],
};

async function checkPg() {
  const pg = require(need('PG_CHECKOUT')); // its lib/index.js
  const c = new pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'test',
    connectionTimeoutMillis: 5000,
  });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => {});
  }
}
async function checkMysql2() {
  const mysql = require(path.join(need('M2_CHECKOUT'), 'promise.js'));
  const c = await mysql.createConnection({
    host: '127.0.0.1',
    port: 3306,
    user: 'root',
    password: '',
    database: 'test',
    connectTimeout: 5000,
  });
  try {
    await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => {});
  }
}

const portOpen = (port) =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: 3000 });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('timeout', () => {
      s.destroy();
      reject(new Error(`127.0.0.1:${port}: no answer within 3 s`));
    });
    s.once('error', reject);
  });

const args = process.argv.slice(2);
const tcpOnly = args[0] === '--tcp';
let bad = 0;
for (const suite of args.filter((a) => a !== '--tcp')) {
  try {
    if (tcpOnly) await portOpen(suite === 'pg' ? 5432 : 3306);
    else await (suite === 'pg' ? checkPg() : checkMysql2());
  } catch (err) {
    bad++;
    console.error(
      `peer-suites: the ${suite} suite's database is not usable: ${err && (err.code || '')} ${err && err.message}`.replace(
        /  +/g,
        ' ',
      ),
    );
    for (const l of START[suite]) console.error(l);
  }
}
process.exit(bad ? 2 : 0);
