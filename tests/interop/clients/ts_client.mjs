// Interop client: the TypeScript MCP SDK, 1.x (npm @modelcontextprotocol/sdk) or the 2.x client
// (npm @modelcontextprotocol/client), both installed by .ci/tools/interop.sh under .ci/npm/.
//
// Same contract as py1_client.py: one JSON scenario spec on stdin's first line; JSON lines on
// stdout: {"event":"page",...} when the human's browser must act (the harness answers with one
// JSON line on stdin), then {"event":"done",...}. spec.sdk is "ts-sdk1" or "ts-client2";
// spec.modules is the npm prefix the package was installed into.
// SDK 1.x always sends protocolVersion 2025-11-25: this harness rewrites the outgoing `initialize`
// (version, and the elicitation capability a client of that era declares) on the transport.
// The 2.x client speaks 2026-07-28 through `server/discover` when spec.version is that revision
// (pinned negotiation), and the legacy `initialize` handshake otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired', 'already_authenticated']);
const CAPS = { none: undefined, form: {}, 'form+url': { form: {}, url: {} } };
const MODERN = '2026-07-28';

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const readLine = async () => {
  const next = await lines.next();
  return next.done ? null : next.value;
};
const emit = event => process.stdout.write(JSON.stringify(event) + '\n');
const describe = err => `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`;

const spec = JSON.parse(await readLine());
const load = createRequire(path.join(spec.modules, 'package.json'));
let sdk;
if (spec.sdk === 'ts-sdk1') {
  sdk = {
    ...load('@modelcontextprotocol/sdk/client/index.js'),
    ...load('@modelcontextprotocol/sdk/client/stdio.js'),
    ...load('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ElicitMethod: load('@modelcontextprotocol/sdk/types.js').ElicitRequestSchema,
  };
} else if (spec.sdk === 'ts-client2') {
  sdk = { ...load('@modelcontextprotocol/client'), ...load('@modelcontextprotocol/client/stdio'), ElicitMethod: 'elicitation/create' };
} else {
  throw new Error(`unknown sdk ${spec.sdk}`);
}
const packageName = spec.sdk === 'ts-sdk1' ? '@modelcontextprotocol/sdk' : '@modelcontextprotocol/client';
const packageJson = path.join(spec.modules, 'node_modules', packageName, 'package.json');
const clientVersion = `${packageName}@${JSON.parse(readFileSync(packageJson, 'utf8')).version} on node ${process.version}`;

class Connection {
  constructor(name) {
    this.name = name;
    this.elicitation = spec.connections[name].elicitation;
    this.answer = null;
    this.seen = [];
    this.info = { elicitation_declared: this.elicitation };
  }

  transport() {
    const server = spec.server;
    if (spec.transport === 'stdio') {
      return new sdk.StdioClientTransport({ command: server.command, args: server.args, env: { ...process.env }, stderr: 'inherit' });
    }
    return new sdk.StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${server.token}` } },
    });
  }

  async open() {
    const caps = CAPS[this.elicitation];
    const options = { capabilities: caps === undefined ? {} : { elicitation: caps } };
    if (spec.sdk === 'ts-client2' && spec.version === MODERN) options.versionNegotiation = { mode: { pin: MODERN } };
    this.client = new sdk.Client({ name: `interop-${spec.sdk}`, version: '0.0.0' }, options);
    if (caps !== undefined) {
      this.client.setRequestHandler(sdk.ElicitMethod, async request => this.elicit(request.params));
    }
    const transport = this.transport();
    if (spec.sdk === 'ts-sdk1') this.rewriteInitialize(transport);
    await this.client.connect(transport, { timeout: spec.timeout * 1000 });
    this.info.protocol_version = this.negotiated ?? this.client.getNegotiatedProtocolVersion?.();
    this.info.era = this.client.getProtocolEra?.() ?? 'legacy';
  }

  rewriteInitialize(transport) {
    // Outgoing: the era's version and capabilities. Incoming: the version the server answered with.
    const send = transport.send.bind(transport);
    let initId;
    transport.send = async (message, options) => {
      if (message.method === 'initialize') {
        initId = message.id;
        const params = { ...message.params, protocolVersion: spec.version, capabilities: { ...message.params.capabilities } };
        delete params.capabilities.elicitation;
        if (CAPS[this.elicitation] !== undefined) params.capabilities.elicitation = CAPS[this.elicitation];
        message = { ...message, params };
      }
      return send(message, options);
    };
    let handler;
    Object.defineProperty(transport, 'onmessage', {
      configurable: true,
      get: () => handler,
      set: fn => {
        handler = (message, extra) => {
          if (initId !== undefined && message.id === initId && message.result) this.negotiated = message.result.protocolVersion;
          return fn(message, extra);
        };
      },
    });
  }

  elicit(params) {
    const mode = params.mode ?? 'form';
    const record = { mode, message: params.message };
    if (mode === 'url') record.url = params.url;
    else record.requested_schema = params.requestedSchema;
    this.seen.push(record);
    const answer = this.answer ?? { action: 'decline' };
    if (mode === 'url' || answer.action !== 'accept') return { action: answer.action };
    return { action: answer.action, content: answer.content };
  }

  async close() {
    try {
      await this.client?.close();
    } catch {
      // already gone
    }
  }
}

const shape = result => ({
  isError: Boolean(result.isError),
  structuredContent: result.structuredContent ?? null,
  text: (result.content ?? []).filter(c => c.type === 'text').map(c => c.text).join('\n'),
});

async function call(conn, tool, args, answer) {
  conn.answer = answer ?? null;
  conn.seen = [];
  try {
    const result = await conn.client.callTool({ name: tool, arguments: args }, undefined, { timeout: spec.timeout * 1000 });
    return { ok: true, result: shape(result), elicitations: conn.seen };
  } catch (err) {
    return { ok: false, error: describe(err), elicitations: conn.seen };
  }
}

async function ask(event) {
  emit(event);
  const line = await readLine();
  return line === null ? null : JSON.parse(line);
}

async function runStep(step, conns) {
  const conn = conns[step.conn];
  if (step.op === 'list_tools') {
    const { tools } = await conn.client.listTools();
    return { ok: true, tools: tools.map(t => t.name), with_output_schema: tools.filter(t => t.outputSchema).map(t => t.name) };
  }
  if (step.op === 'call') return call(conn, step.tool, step.args ?? {}, step.answer);
  if (step.op === 'login') {
    const start = await call(conn, 'start_login', { olares_id: step.olares_id }, step.answer);
    const out = { ok: start.ok, start, polls: [] };
    const urls = start.elicitations.filter(e => e.url).map(e => e.url);
    const structured = start.result?.structuredContent ?? {};
    const url = urls.length ? urls.at(-1) : structured.secret_entry_url;
    out.url_source = url ? (urls.length ? 'elicitation' : 'result') : null;
    if (!url || !structured.login_id) return out;
    out.page = await ask({ event: 'page', id: step.id, url });
    let state = structured.state;
    const typed = out.page?.status === 200;
    const wait = typed ? step.wait_seconds : 0; // nothing was typed: one look, no waiting for a password
    for (let i = 0; i < (typed ? step.max_polls : 1); i++) {
      const poll = await call(conn, 'login_status', { login_id: structured.login_id, wait_seconds: wait });
      out.polls.push(poll);
      state = poll.result?.structuredContent?.state;
      if (!poll.ok || FINAL.has(state)) break;
    }
    out.final_state = state;
    return out;
  }
  throw new Error(`unknown op ${step.op}`);
}

const conns = Object.fromEntries(Object.keys(spec.connections).map(name => [name, new Connection(name)]));
for (const conn of Object.values(conns)) {
  const started = performance.now();
  try {
    await conn.open();
  } catch (err) {
    conn.info.error = describe(err);
  }
  conn.info.seconds = Math.round(performance.now() - started) / 1000;
}
const steps = {};
for (const step of spec.steps) {
  const started = performance.now();
  if (conns[step.conn].info.error) {
    steps[step.id] = { ok: false, error: 'connection failed' };
  } else {
    try {
      steps[step.id] = await runStep(step, conns);
    } catch (err) {
      steps[step.id] = { ok: false, error: describe(err) };
    }
  }
  steps[step.id].seconds = Math.round(performance.now() - started) / 1000;
}
emit({ event: 'done', client_version: clientVersion, connections: Object.fromEntries(Object.entries(conns).map(([n, c]) => [n, c.info])), steps });
await Promise.all(Object.values(conns).map(c => c.close()));
process.exit(0);
