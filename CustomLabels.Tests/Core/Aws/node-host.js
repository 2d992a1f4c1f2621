// Starts an AWS-compatible test server from the pinned npm tools on a loopback port and prints {"port": n}.
// Usage: node node-host.js <s3rver|dynalite> <node_modules folder> <data folder> [bucket]
// It exits when its standard input closes, so it never outlives the test run that started it.
const path = require('path');
const [kind, modules, dataDir, bucket] = process.argv.slice(2);
const load = (name) => require(path.join(modules, name));

async function main() {
  if (kind === 's3rver') {
    // S3 decodes x-amz-copy-source fully (the AWS SDKs send "bucket%2Fkey"); s3rver 3.7.1 reads it with
    // decodeURI, its only use of that function, which leaves %2F. Decode it as S3 does.
    globalThis.decodeURI = decodeURIComponent;
    const S3rver = load('s3rver');
    const server = new S3rver({
      address: '127.0.0.1', port: 0, silent: true, directory: dataDir,
      configureBuckets: bucket ? [{ name: bucket }] : [],
    });
    const address = await server.run();
    console.log(JSON.stringify({ port: address.port }));
  } else if (kind === 'dynalite') {
    const dynalite = load('dynalite');
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    console.log(JSON.stringify({ port: server.address().port }));
  } else {
    throw new Error(`unknown server ${kind}`);
  }
}

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
main().catch((e) => { console.error(e); process.exit(1); });
