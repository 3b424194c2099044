// tags.js: the busy batch job of the CPU lab (docs/workshop/lab3-cpu.md).
//
// It summarizes a day of access-log lines: for each line it parses the fields, collects the tags
// of the request and counts the distinct tags per user. Run it under perf:
//
//   perf record -F 499 -g -- node --perf-basic-prof --interpreted-frames-native-stack tags.js slow
//   perf record -F 499 -g -- node --perf-basic-prof --interpreted-frames-native-stack tags.js fast
//
// `slow` keeps the distinct tags in an array and scans it for every tag (Array.includes: quadratic);
// `fast` keeps them in a Set. Both print the same summary. Script arg 2 is the number of rounds
// (default 6).
'use strict';

const variant = process.argv[2] || 'slow';
const rounds = Number(process.argv[3] || 6);

const USERS = 40;
const TAGS_PER_USER = 1500;

function makeLog(lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const user = i % USERS;
    const tag = `t${Math.floor(i / USERS) % TAGS_PER_USER}`;
    out.push(`2026-12-06T10:${String(i % 60).padStart(2, '0')}:00Z user${user} GET /item?tag=${tag} 200`);
  }
  return out;
}

function parseLine(line) {
  const [time, user, method, path, status] = line.split(' ');
  return { time, user, method, path, status: Number(status) };
}

function tagOf(path) {
  return path.slice(path.indexOf('tag=') + 4);
}

// The hot spot: `seen` is an array, so every includes() walks all the tags seen so far.
function addTagSlow(seen, tag) {
  if (!seen.includes(tag)) seen.push(tag);
}

function addTagFast(seen, tag) {
  seen.add(tag);
}

function summarize(log) {
  const perUser = new Map();
  const add = variant === 'fast' ? addTagFast : addTagSlow;
  for (const line of log) {
    const entry = parseLine(line);
    let seen = perUser.get(entry.user);
    if (!seen) {
      seen = variant === 'fast' ? new Set() : [];
      perUser.set(entry.user, seen);
    }
    add(seen, tagOf(entry.path));
  }
  let distinct = 0;
  for (const seen of perUser.values()) distinct += variant === 'fast' ? seen.size : seen.length;
  return distinct;
}

const log = makeLog(USERS * TAGS_PER_USER);
let distinct = 0;
for (let r = 0; r < rounds; r++) distinct = summarize(log);
console.log(`${variant}: ${log.length} lines, ${distinct} distinct user tags`);
