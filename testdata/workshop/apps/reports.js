// reports.js: the growing server of the leak lab (docs/workshop/lab2-leak.md).
//
// A small HTTP service on 127.0.0.1 builds a visits report for a user (GET /report?user=N). Each
// report is cached so that a repeated request is cheap, but the cache key includes the request id,
// which is new for every request: the cache never hits and never shrinks. The service sends
// itself BATCH requests (script arg --batch=N, default 300) before each of three snapshots.
//
// For internal/testnode's Snapshots: after each batch it runs a full GC (--expose-gc), prints
// "SNAP stepK" on stdout and waits for a line on stdin. After step3 it exits.
'use strict';

const fs = require('fs');
const http = require('http');

function intArg(name, dflt) {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
}
const BATCH = intArg('batch', 300);

class ReportCache {
  constructor() {
    this.entries = new Map();
  }
  get(key) {
    return this.entries.get(key);
  }
  put(key, report) {
    this.entries.set(key, report);
  }
}

class VisitReport {
  constructor(user, days) {
    this.user = user;
    this.days = days;
    this.total = days.reduce((sum, d) => sum + d.visits, 0);
  }
}

const cache = new ReportCache();

function buildReport(user) {
  const days = [];
  for (let day = 1; day <= 7; day++) days.push({ day, visits: (user * 31 + day * 17) % 100 });
  return new VisitReport(user, days);
}

function handleReport(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const user = Number(url.searchParams.get('user'));
  const key = `${user}:${req.headers['x-request-id']}`; // BUG: a new key for every request
  let report = cache.get(key);
  if (!report) {
    report = buildReport(user);
    cache.put(key, report);
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ user, total: report.total }));
}

const server = http.createServer(handleReport);

let nextRequest = 0;
function get(user) {
  return new Promise((resolve, reject) => {
    const id = `req-${++nextRequest}`;
    const req = http.get({ port: server.address().port, host: '127.0.0.1', path: `/report?user=${user}`,
      headers: { 'x-request-id': id }, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

// Blocking reads and writes on fds 0 and 1, so that waiting for a snapshot creates no objects.
const lineBuf = Buffer.alloc(1);
function waitLine() {
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, lineBuf, 0, 1, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0 || lineBuf[0] === 10) return;
  }
}

let collect = globalThis.gc;
if (typeof collect !== 'function') {
  require('v8').setFlagsFromString('--expose-gc');
  collect = require('vm').runInNewContext('gc');
}

server.listen(0, '127.0.0.1', async () => {
  for (let step = 1; step <= 3; step++) {
    for (let i = 0; i < BATCH; i++) await get(i % 50);
    // Let the closed sockets go before the snapshot.
    await new Promise((resolve) => setTimeout(resolve, 50));
    collect();
    fs.writeSync(1, `SNAP step${step}\n`);
    waitLine();
  }
  server.close();
  process.exit(0);
});
