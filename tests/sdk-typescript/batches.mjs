// The official TypeScript SDK, unchanged, against Batch's Message Batches API: only baseURL and apiKey differ from
// code written for Anthropic's. Run by tests/Batch.Batches.Tests (TypeScriptSdkTests) with BATCH_BASE_URL and
// BATCH_API_KEY set; prints one JSON object of what it saw, and exits non-zero on any unexpected error.
import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.BATCH_BASE_URL;
const apiKey = process.env.BATCH_API_KEY;
const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
const system = [{ type: 'text', text: 'You classify product reviews. '.repeat(300), cache_control: { type: 'ephemeral' } }];
const models = ['claude-sonnet-4-5', 'claude-haiku-4-5'];
const request = (i) => ({
  custom_id: `ts-${i}`,
  params: { model: models[i % 2], max_tokens: 64, system, messages: [{ role: 'user', content: `Review ${i}: fine.` }] },
});

async function untilEnded(id) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const batch = await client.messages.batches.retrieve(id);
    if (batch.processing_status === 'ended') return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} did not end: ${JSON.stringify(batch)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function errorOf(call) {
  try {
    await call();
    return 'none';
  } catch (e) {
    return e.constructor.name + ': ' + e.message;
  }
}

const seen = {};
const created = await client.messages.batches.create({ requests: Array.from({ length: 20 }, (_, i) => request(i)) });
seen.created = { id: created.id, type: created.type, processing_status: created.processing_status, counts: created.request_counts };
const ended = await untilEnded(created.id);
seen.ended = { processing_status: ended.processing_status, counts: ended.request_counts, results_url: ended.results_url, ended_at: ended.ended_at };
seen.results = {};
for await (const line of await client.messages.batches.results(created.id)) {
  seen.results[line.custom_id] = line.result.type === 'succeeded' ? line.result.message.model : line.result.type;
}

const second = await client.messages.batches.create({ requests: [request(100)] });
const third = await client.messages.batches.create({ requests: [request(101)] });
seen.listed = [];
for await (const batch of client.messages.batches.list({ limit: 1 })) {
  seen.listed.push(batch.id);
}
seen.newest = [third.id, second.id, created.id];

const toCancel = await client.messages.batches.create({ requests: Array.from({ length: 2000 }, (_, i) => request(1000 + i)) });
const canceling = await client.messages.batches.cancel(toCancel.id);
seen.canceling = canceling.processing_status;
seen.cancelInitiated = canceling.cancel_initiated_at !== null;
const canceled = await untilEnded(toCancel.id);
seen.canceled = canceled.request_counts;

const deleted = await client.messages.batches.delete(created.id);
seen.deleted = deleted;
seen.afterDelete = await errorOf(() => client.messages.batches.retrieve(created.id));
seen.badRequest = await errorOf(() => client.messages.batches.create({
  requests: [request(0), { custom_id: 'bad', params: { model: models[0], max_tokens: 10, messages: [{ role: 'system', content: 'x' }] } }],
}));
seen.wrongKey = await errorOf(() => new Anthropic({ baseURL, apiKey: 'not-a-key', maxRetries: 0 }).messages.batches.list());
console.log(JSON.stringify(seen));
