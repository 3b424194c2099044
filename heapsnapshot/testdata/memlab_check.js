// Loads a heap snapshot with memlab's parser, computes memlab's dominators
// and retained sizes, and prints, for each object name given, the count of
// object nodes of that name and the retained size of the first one.
const {utils, config, TraceFinder} = require('@memlab/core');
config.muteConsole = true;
(async () => {
  const heap = await utils.getSnapshotFromFile(process.argv[2], {buildNodeIdIndex: true});
  new TraceFinder().calculateAllNodesRetainedSizes(heap);
  const want = process.argv.slice(3);
  const out = {nodes: 0, count: {}, retained: {}};
  for (const w of want) out.count[w] = 0;
  heap.nodes.forEach((node) => {
    out.nodes++;
    if (node.type !== 'object' || !want.includes(node.name)) return;
    out.count[node.name]++;
    if (!(node.name in out.retained)) out.retained[node.name] = node.retainedSize;
  });
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
