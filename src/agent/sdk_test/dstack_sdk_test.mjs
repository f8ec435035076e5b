// End to end: the published dstack SDK (npm @phala/dstack-sdk, pinned in tools/package.json)
// against the real teecloud-agent on a fresh simulated TEE.
//
// Starts `teecloud-agent --tee sim` on temporary unix sockets, points the SDK at one through
// DSTACK_SIMULATOR_ENDPOINT and checks getKey, getQuote (verified by `teecloud verify quote`
// with the sim root; replayRtmrs() equals the quote's RTMRs), info, getTlsKey, sign/verify,
// emitEvent, attest and version. Every wait is bounded; the agent is stopped by PID.
//
// Environment: TEECLOUD_BIN_DIR (teecloud, teecloud-agent), TEECLOUD_SOURCE_DIR (tools/).
// Exit codes: 0 pass, 1 fail, 77 skipped (SDK not installed).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.TEECLOUD_SOURCE_DIR || path.resolve(here, '../../..');
const binDir = process.env.TEECLOUD_BIN_DIR || path.join(sourceDir, 'build/bin');
const toolsDir = path.join(sourceDir, 'tools');
const sdkDir = path.join(toolsDir, 'node_modules/@phala/dstack-sdk');

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

if (!fs.existsSync(path.join(sdkDir, 'package.json'))) {
  skip(`@phala/dstack-sdk is not installed in ${toolsDir} (run make deps)`);
}
const requireFromTools = createRequire(path.join(toolsDir, 'package.json'));
let sdk;
try {
  sdk = requireFromTools('@phala/dstack-sdk');
} catch (e) {
  // The SDK's dist/index.js requires @noble/curves, an *optional* peer dependency that npm
  // does not install by itself: the SDK is unusable without it.
  console.error(`FAIL: @phala/dstack-sdk is installed but cannot be loaded: ${e.message}`);
  console.error('      (add @noble/curves to tools/package.json: the SDK requires it)');
  process.exit(1);
}
const { DstackClient, getComposeHash } = sdk;
const { secp256k1 } = requireFromTools('@noble/curves/secp256k1');
const { keccak_256 } = requireFromTools('@noble/hashes/sha3');

const teecloud = path.join(binDir, 'teecloud');
const agentBin = path.join(binDir, 'teecloud-agent');
for (const b of [teecloud, agentBin]) {
  if (!fs.existsSync(b)) {
    console.error(`FAIL: ${b} not built`);
    process.exit(1);
  }
}

let passed = 0;
const failures = [];
function check(name, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failures.push(name);
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (b) => Buffer.from(b).toString('hex');

function run(args) {
  return execFileSync(teecloud, args, { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
}

// `teecloud verify quote` on a hex quote (and optionally its event log), as JSON.
function verifyQuote(dir, quoteHex, eventLogJson) {
  const q = path.join(dir, `quote-${crypto.randomBytes(4).toString('hex')}.hex`);
  fs.writeFileSync(q, quoteHex);
  const args = ['verify', 'quote', q, '--collateral', path.join(dir, 'sim/collateral.json'),
    '--trust-root', path.join(dir, 'sim/root.pem'), '--json'];
  if (eventLogJson !== undefined) {
    const l = q.replace(/\.hex$/, '.log.json');
    fs.writeFileSync(l, eventLogJson);
    args.push('--event-log', l);
  }
  let out;
  try {
    out = run(args);
  } catch (e) {
    out = e.stdout || '';  // a non-zero exit still prints the JSON verdict
  }
  return JSON.parse(out);
}

// The quote's RTMRs from the verifier's view.
const rtmrsOf = (verdict) => [0, 1, 2, 3].map((i) => verdict.measurements[`rtmr${i}`]);

// Recovers the compressed secp256k1 signer of a 65-byte r||s||v signature over keccak(msg).
function recoverSigner(message, sig) {
  const s = secp256k1.Signature.fromCompact(sig.slice(0, 64)).addRecoveryBit(sig[64]);
  return hex(s.recoverPublicKey(keccak_256(message)).toRawBytes(true));
}

function rawRequest(socketPath, bytes) {
  return withTimeout(new Promise((resolve) => {
    const c = net.createConnection({ path: socketPath }, () => c.write(bytes));
    let data = '';
    c.on('data', (d) => { data += d; });
    c.on('end', () => resolve(data));
    c.on('error', () => resolve(data));
    setTimeout(() => { c.destroy(); resolve(data); }, 3000);
  }), 5000, 'raw request');
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teecloud-sdk-'));
  let agent;
  let agentStderr = '';
  try {
    run(['sim', 'init', path.join(dir, 'sim')]);
    const manifest = {
      manifest_version: 1, name: 'sdk-test', version: 1, runner: 'docker-compose',
      docker_compose_file: 'services:\n  web:\n    image: nginx:1.27\n',
      allowed_envs: [], ports: [{ port: 80, protocol: 'http' }],
      key_provider: 'local', gateway: false, public_logs: false,
    };
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(manifest, null, 2));
    const seedFile = path.join(dir, 'key-seed');
    fs.writeFileSync(seedFile, crypto.randomBytes(32), { mode: 0o600 });
    const sock = path.join(dir, 'dstack.sock');
    const sock2 = path.join(dir, 'teecloud.sock');

    agent = spawn(agentBin, ['--tee', 'sim', '--sim-dir', path.join(dir, 'sim'),
      '--socket', sock, '--socket', sock2, '--manifest', path.join(dir, 'app.json'),
      '--key-provider', 'local', '--key-seed-file', seedFile,
      '--state-dir', path.join(dir, 'state')], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr.on('data', (d) => { agentStderr += d; });
    const exited = new Promise((r) => agent.on('exit', (code, sig) => r({ code, sig })));
    let state = 'starting';
    exited.then(() => { state = 'exited'; });
    for (let i = 0; i < 300 && state === 'starting' && !/^manifest_hash: /m.test(agentStderr); i++) {
      await sleep(100);
    }
    if (!/^manifest_hash: /m.test(agentStderr) || !fs.existsSync(sock)) {
      throw new Error(`agent did not start (${state}):\n${agentStderr}`);
    }
    const printedAppId = /app_id: ([0-9a-f]{40})/.exec(agentStderr)?.[1];
    check('agent prints app id, instance id, manifest hash',
      printedAppId && /instance_id: [0-9a-f]{40}/.test(agentStderr) && /manifest_hash: [0-9a-f]{64}/.test(agentStderr));
    check('socket files are not world-writable',
      [sock, sock2].every((p) => (fs.statSync(p).mode & 0o777) === 0o660));

    process.env.DSTACK_SIMULATOR_ENDPOINT = sock;
    const client = new DstackClient();
    const T = 20000;

    // version
    const version = await withTimeout(client.version(), T, 'version');
    check('version', typeof version.version === 'string' && version.version.length > 0 && typeof version.rev === 'string');
    check('isReachable', await withTimeout(client.isReachable(), T, 'isReachable'));

    // info
    const info = await withTimeout(client.info(), T, 'info');
    check('info: app_id is the printed one', info.app_id === printedAppId, info.app_id);
    check('info: instance_id', /^[0-9a-f]{40}$/.test(info.instance_id));
    check('info: app_name', info.app_name === 'sdk-test');
    check('info: compose_hash = SDK getComposeHash(manifest)', info.compose_hash === getComposeHash(manifest),
      `${info.compose_hash} vs ${getComposeHash(manifest)}`);
    check('info: app_id = compose_hash[0..20] (policy-file mode)', info.app_id === info.compose_hash.slice(0, 40));
    const tcb = info.tcb_info;
    check('info: tcb_info parsed with mrtd and rtmr0..3',
      ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'].every((k) => /^[0-9a-f]{96}$/.test(tcb[k])));
    check('info: tcb_info.compose_hash and app_compose',
      tcb.compose_hash === info.compose_hash &&
      crypto.createHash('sha256').update(tcb.app_compose).digest('hex') === info.compose_hash);
    const bootNames = tcb.event_log.filter((e) => e.imr === 3).map((e) => e.event);
    check('info: boot events in order', JSON.stringify(bootNames) === JSON.stringify(
      ['system-preparing', 'app-id', 'compose-hash', 'instance-id', 'boot-mr-done', 'key-provider', 'system-ready']),
      bootNames.join(','));
    const kp = JSON.parse(info.key_provider_info);
    check('info: key_provider_info', kp.name === 'local' && /^[0-9a-f]{66}$/.test(kp.id));
    check('info: app_cert is a CA certificate', new crypto.X509Certificate(info.app_cert).ca);

    // getKey
    const k1 = await withTimeout(client.getKey('wallet/eth', 'ethereum'), T, 'getKey');
    const k1again = await withTimeout(client.getKey('wallet/eth', 'ethereum'), T, 'getKey');
    const k2 = await withTimeout(client.getKey('wallet/other', 'ethereum'), T, 'getKey');
    check('getKey: 32-byte key', k1.key.length === 32);
    check('getKey: same path -> same key', hex(k1.key) === hex(k1again.key));
    check('getKey: different path -> different key', hex(k1.key) !== hex(k2.key));
    const derivedPub = hex(secp256k1.getPublicKey(k1.key, true));
    const appPub = recoverSigner(new TextEncoder().encode(`ethereum:${derivedPub}`), k1.signature_chain[0]);
    const kmsMsg = Buffer.concat([Buffer.from('dstack-kms-issued:'), Buffer.from(info.app_id, 'hex'), Buffer.from(appPub, 'hex')]);
    check('getKey: signature chain recovers app key then the key provider root',
      k1.signature_chain.length === 2 && recoverSigner(kmsMsg, k1.signature_chain[1]) === kp.id);
    const e1 = await withTimeout(client.getKey('wallet/sol', 'solana', 'ed25519'), T, 'getKey ed25519');
    const e1again = await withTimeout(client.getKey('wallet/sol', 'solana', 'ed25519'), T, 'getKey ed25519');
    check('getKey ed25519: deterministic 32-byte seed', e1.key.length === 32 && hex(e1.key) === hex(e1again.key));

    // getQuote + our verifier
    const quote = await withTimeout(client.getQuote('hello teecloud'), T, 'getQuote');
    const verdict = verifyQuote(dir, quote.quote, quote.event_log);
    check('getQuote: teecloud verify quote says valid', verdict.valid === true, JSON.stringify(verdict).slice(0, 300));
    check('getQuote: labelled simulated', verdict.tee === 'simulated');
    check('getQuote: event log replays in our verifier',
      verdict.event_log_replay && [0, 1, 2, 3].every((i) => verdict.event_log_replay[`rtmr${i}`] === true),
      JSON.stringify(verdict.event_log_replay));
    const replayed = quote.replayRtmrs();
    check('getQuote: SDK replayRtmrs() equals the quote RTMRs',
      JSON.stringify(replayed) === JSON.stringify(rtmrsOf(verdict)), `${replayed} vs ${rtmrsOf(verdict)}`);
    check('getQuote: report_data zero-padded',
      verdict.measurements.report_data === hex(Buffer.from('hello teecloud')).padEnd(128, '0') &&
      quote.report_data === verdict.measurements.report_data);
    check('getQuote: vm_config is JSON', typeof JSON.parse(quote.vm_config) === 'object');
    let tooLong = false;
    try { await client.getQuote(Buffer.alloc(65)); } catch { tooLong = true; }
    check('getQuote: > 64 bytes refused', tooLong);

    // emitEvent
    await withTimeout(client.emitEvent('sdk-test-event', 'payload-1'), T, 'emitEvent');
    const quote2 = await withTimeout(client.getQuote('after event'), T, 'getQuote');
    const verdict2 = verifyQuote(dir, quote2.quote, quote2.event_log);
    const log2 = JSON.parse(quote2.event_log);
    const last = log2[log2.length - 1];
    check('emitEvent: appended to the event log',
      last.event === 'sdk-test-event' && last.imr === 3 && last.event_payload === hex(Buffer.from('payload-1')));
    check('emitEvent: next quote RTMR3 changed and replays',
      verdict2.valid === true && rtmrsOf(verdict2)[3] !== rtmrsOf(verdict)[3] &&
      JSON.stringify(quote2.replayRtmrs()) === JSON.stringify(rtmrsOf(verdict2)));
    const digestInput = Buffer.concat([Buffer.from([1, 0, 0, 8]), Buffer.from(':sdk-test-event:payload-1')]);
    check('emitEvent: digest = SHA-384(le32(type):name:payload)',
      last.digest === crypto.createHash('sha384').update(digestInput).digest('hex'));

    // getTlsKey
    const tls = await withTimeout(client.getTlsKey({ subject: 'app.example', altNames: ['localhost', '127.0.0.1'], usageRaTls: true }), T, 'getTlsKey');
    check('getTlsKey: PKCS#8 PEM key and two-certificate chain',
      tls.key.includes('-----BEGIN PRIVATE KEY-----') && tls.certificate_chain.length === 2);
    const leaf = new crypto.X509Certificate(tls.certificate_chain[0]);
    const ca = new crypto.X509Certificate(tls.certificate_chain[1]);
    check('getTlsKey: leaf signed by the app CA (= info app_cert)',
      leaf.verify(ca.publicKey) && ca.raw.equals(new crypto.X509Certificate(info.app_cert).raw));
    check('getTlsKey: key matches the leaf', leaf.checkPrivateKey(crypto.createPrivateKey(tls.key)));
    check('getTlsKey: subject and alt names',
      leaf.subject.includes('CN=app.example') && leaf.subjectAltName.includes('DNS:localhost') &&
      leaf.subjectAltName.includes('IP Address:127.0.0.1'));
    const quoteOid = Buffer.from('060a2b0601040183e73d0101', 'hex');  // 1.3.6.1.4.1.62397.1.1
    check('getTlsKey: RA-TLS quote extension present', leaf.raw.includes(quoteOid));
    check('getTlsKey: asUint8Array', tls.asUint8Array(32).length === 32);
    const tls2 = await withTimeout(client.getTlsKey({ subject: 'x' }), T, 'getTlsKey');
    check('getTlsKey: fresh key per call, no quote without usageRaTls',
      tls2.key !== tls.key && !new crypto.X509Certificate(tls2.certificate_chain[0]).raw.includes(quoteOid));
    const tls3 = await withTimeout(client.getTlsKey({ subject: 'x', notBefore: 1767225600, notAfter: 1767229200, withAppInfo: true }), T, 'getTlsKey');
    check('getTlsKey: notBefore/notAfter honoured',
      new Date(new crypto.X509Certificate(tls3.certificate_chain[0]).validTo).getTime() === 1767229200000);

    // sign / verify
    const data = Buffer.from('hello dstack');
    const digest = crypto.createHash('sha256').update(data).digest();
    for (const [alg, input] of [['ed25519', data], ['secp256k1', data], ['secp256k1_prehashed', digest]]) {
      const s = await withTimeout(client.sign(alg, input), T, `sign ${alg}`);
      const v = await withTimeout(client.verify(alg, input, s.signature, s.public_key), T, `verify ${alg}`);
      const tampered = Buffer.from(input);
      tampered[0] ^= 1;
      const bad = await withTimeout(client.verify(alg, tampered, s.signature, s.public_key), T, `verify ${alg}`);
      check(`sign/verify ${alg}`, v.valid === true && bad.valid === false && s.signature_chain.length === 3 &&
        hex(s.signature_chain[0]) === hex(s.signature));
      let independent;
      if (alg === 'ed25519') {
        const pub = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(s.public_key).toString('base64url') }, format: 'jwk' });
        independent = crypto.verify(null, input, pub, Buffer.from(s.signature));
      } else {
        independent = secp256k1.verify(s.signature, alg === 'secp256k1' ? digest : input, s.public_key);
      }
      check(`sign ${alg}: verifies outside the agent`, independent);
      const signingKey = await client.getKey('vms', 'signing', alg === 'ed25519' ? 'ed25519' : 'secp256k1');
      check(`sign ${alg}: chain continues with GetKey("vms","signing")`,
        hex(s.signature_chain[1]) === hex(signingKey.signature_chain[0]) &&
        hex(s.signature_chain[2]) === hex(signingKey.signature_chain[1]));
    }

    // attest
    const att = await withTimeout(client.attest('x'), T, 'attest');
    const blob = JSON.parse(Buffer.from(att.attestation, 'hex').toString('utf8'));
    check('attest: blob carries a valid quote and its log',
      blob.format === 'teecloud-attestation-v1' && verifyQuote(dir, blob.quote, JSON.stringify(blob.event_log)).valid === true);

    // the second socket serves the same API
    const other = new DstackClient(sock2);
    check('second socket serves the same app', (await withTimeout(other.info(), T, 'info')).app_id === info.app_id);

    // garbage does not stop the agent
    const garbage = await rawRequest(sock, '\x00\x01 not http\r\n\r\n');
    const wrongType = await rawRequest(sock, 'POST /GetKey HTTP/1.1\r\nContent-Length: 12\r\n\r\n{"path": 42}');
    const big = 'POST /GetKey HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n' + 'a'.repeat(2000000);
    const tooBig = await rawRequest(sock, big);
    check('bad requests get 4xx JSON errors',
      /^HTTP\/1\.1 400/.test(garbage) && /^HTTP\/1\.1 400/.test(wrongType) && /"error"/.test(wrongType) &&
      /^HTTP\/1\.1 413/.test(tooBig), `${garbage.slice(0, 40)} | ${wrongType.slice(0, 40)} | ${tooBig.slice(0, 40)}`);
    check('agent still serves after bad requests', await withTimeout(client.isReachable(), T, 'isReachable'));

    // graceful stop
    agent.kill('SIGTERM');
    const ended = await withTimeout(exited, 10000, 'agent exit after SIGTERM');
    check('SIGTERM: clean exit and socket files removed',
      ended.code === 0 && !fs.existsSync(sock) && !fs.existsSync(sock2), JSON.stringify(ended));
    agent = undefined;
  } catch (e) {
    failures.push(`error: ${e.message}`);
    console.log(`FAIL ${e.stack || e}`);
  } finally {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    if (failures.length) console.log(`--- agent stderr ---\n${agentStderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`dstack SDK e2e: ${passed} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

main();
