// kill -9 durability: every write the array acknowledged as durable (a FUA write, or a plain
// write followed by an acknowledged FLUSH) reads back intact after the array is killed at a
// random point and restarted. The writer is libnbd (python3-libnbd), a real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API } from '../../src/protocol/control.js';
import { ArrayProcess } from '../helpers/arrayProcess.js';
import { seededRandom } from '../helpers/seededRandom.js';

const KILLS = 22;
const BLOCK = 4096;
const BLOCKS_PER_ROUND = 48;
const SEED = 0x5eed;
const WRITER_TIMEOUT_MS = 20_000;

// Args: uri verify.json first count tag. Verifies the listed blocks, prints VERIFIED, then writes
// `count` blocks from `first`: some with FUA (ACK at once), some in batches acknowledged by FLUSH.
const WRITER = String.raw`
import json, random, struct, sys, nbd
uri, verify_file, first, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def pattern(blk, t): return struct.pack('<QQ', blk, t) * (${BLOCK} // 16)
h = nbd.NBD()
h.connect_uri(uri)
for blk, t in json.load(open(verify_file)):
    got = h.pread(${BLOCK}, blk * ${BLOCK})
    if got != pattern(blk, t):
        print('BAD', blk, t, got[:16].hex(), flush=True)
        sys.exit(3)
print('VERIFIED', flush=True)
rng = random.Random(tag)
i = 0
while i < count:
    if rng.random() < 0.5:
        blk = first + i
        h.pwrite(pattern(blk, tag), blk * ${BLOCK}, nbd.CMD_FLAG_FUA)
        print('ACK', blk, flush=True)
        i += 1
    else:
        batch = list(range(first + i, min(first + count, first + i + rng.randint(2, 8))))
        for blk in batch:
            h.pwrite(pattern(blk, tag), blk * ${BLOCK})
        h.flush()
        for blk in batch:
            print('ACK', blk, flush=True)
        i += len(batch)
h.shutdown()
`;


interface WriterRun {
  verified: boolean;
  acked: number[];
  bad: string | undefined;
  code: number | null;
}

/** Run the writer; `onAck(count)` is called as acknowledgements arrive (to time the kill). */
function runWriter(script: string, args: string[], onProgress: (verified: boolean, acks: number) => void): Promise<WriterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('writer timed out'));
    }, WRITER_TIMEOUT_MS);
    const run: WriterRun = { verified: false, acked: [], bad: undefined, code: null };
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'VERIFIED') run.verified = true;
        else if (line.startsWith('ACK ')) run.acked.push(Number(line.slice(4)));
        else if (line.startsWith('BAD ')) run.bad = line;
      }
      onProgress(run.verified, run.acked.length);
    });
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
}

test(`every acknowledged write survives ${KILLS} kill -9 of the array`, async () => {
  const array = await ArrayProcess.start({ extraConfig: { logLevel: 'warn' } });
  try {
    const created = await array.client().post(API.volumes, { name: 'dur', size: KILLS * BLOCKS_PER_ROUND * BLOCK + BLOCK });
    assert.equal(created.result, 'NORMAL');
    const script = join(array.dir.path, 'writer.py');
    writeFileSync(script, WRITER);
    const verifyFile = join(array.dir.path, 'verify.json');
    const random = seededRandom(SEED);
    /** block -> tag of the acknowledged write; blocks are never rewritten. */
    const durable = new Map<number, number>();
    let killedWhileWriting = 0;

    for (let round = 0; round <= KILLS; round++) {
      const lastRound = round === KILLS;
      writeFileSync(verifyFile, JSON.stringify([...durable]));
      const killAfter = Math.floor(random() * (BLOCKS_PER_ROUND + 1));
      let killing: Promise<unknown> | undefined;
      const run = await runWriter(
        script,
        [array.nbdUri('dur'), verifyFile, String(round * BLOCKS_PER_ROUND), String(lastRound ? 0 : BLOCKS_PER_ROUND), String(round + 1)],
        (verified, acks) => {
          if (!lastRound && verified && acks >= killAfter && !killing) killing = array.kill('SIGKILL');
        },
      );
      assert.equal(run.bad, undefined, `round ${round}: acknowledged data lost: ${run.bad}`);
      assert.ok(run.verified, `round ${round}: writer could not verify (exit ${run.code})`);
      for (const blk of run.acked) durable.set(blk, round + 1);
      if (lastRound) break;
      if (!killing) killing = array.kill('SIGKILL');
      await killing;
      if (run.acked.length < BLOCKS_PER_ROUND) killedWhileWriting++;
      await array.restart();
    }
    assert.ok(durable.size > BLOCKS_PER_ROUND, `only ${durable.size} blocks acknowledged`);
    // Most kills must land in the middle of the writes, or the test proves little.
    assert.ok(killedWhileWriting >= KILLS / 2, `only ${killedWhileWriting} kills interrupted writing`);
  } finally {
    await array.dispose();
  }
});
