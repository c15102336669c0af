/**
 * Loading a model pack (docs/model-pack.md): manifest -> sha256 of every file -> codebook ->
 * five onnxruntime sessions whose signatures are checked against the contract.
 *
 * A pack is untrusted data: every file is hashed from the very bytes that are then used (the
 * graph bytes go to onnxruntime from memory, so a file swapped between check and load cannot
 * slip through), names are plain file names inside the pack folder, and any mismatch is a typed
 * EngineError naming the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { EngineError, errorMessage } from './errors.js';
import { GRAPH_NAMES, validateManifest, type GraphName, type PackManifest } from './manifest.js';

// ------------------------------------------------------------------------------ providers

export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
/** 'auto' tries the platform's accelerator first, then the CPU. */
export type ProviderChoice = 'auto' | ProviderName;

export interface ProviderReport {
  /** The provider the sessions were created with. */
  provider: ProviderName;
  /** The providers tried, in order. */
  tried: ProviderName[];
  /** Why an accelerator was not used, e.g. "CUDA not available: <onnxruntime's message>". */
  fallbackReason?: string;
}

const PROVIDER_LABEL: Record<ProviderName, string> = { cpu: 'CPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', webgpu: 'WebGPU' };

/** Accelerator preference per platform (the CPU always comes last). */
export function providerPreference(choice: ProviderChoice = 'auto', platform = process.platform, arch = process.arch): ProviderName[] {
  if (choice === 'cpu') return ['cpu'];
  if (choice !== 'auto') return [choice, 'cpu'];
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cpu'];
}

/**
 * Why an accelerator cannot work before trying it, when that is knowable: onnxruntime-node's
 * CUDA provider is a separate library its installer downloads, and trying without it only makes
 * onnxruntime print an alarming load error. Null when the provider is worth a try.
 */
export function providerUnavailable(p: ProviderName, platform = process.platform, arch = process.arch): string | null {
  if (p !== 'cuda') return null;
  let bin: string;
  try {
    bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', platform, arch);
  } catch {
    return null;
  }
  return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))
    ? null
    : 'CUDA not available: onnxruntime-node was installed without its CUDA provider (reinstall it with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12)';
}

// ------------------------------------------------------------------------------ signatures

type Dim = number | 'B' | 'N' | 'T'; // letters: dynamic (B, N) or a size some exporters leave symbolic
interface IOSpec {
  name: string;
  type: 'float32' | 'int64';
  dims: Dim[];
}
export interface GraphSignature {
  inputs: IOSpec[];
  outputs: IOSpec[];
}

/** The contract of docs/model-pack.md, with this pack's sizes filled in. */
export function graphSignatures(m: PackManifest): Record<GraphName, GraphSignature> {
  const { h, w, e } = m.latent;
  const H = m.image.size;
  const T = h * w;
  const K = m.stages.K;
  const V = m.codebook.V;
  const f = (name: string, dims: Dim[]): IOSpec => ({ name, type: 'float32', dims });
  const i = (name: string, dims: Dim[]): IOSpec => ({ name, type: 'int64', dims });
  return {
    encoder: { inputs: [f('image', ['B', 3, H, H])], outputs: [f('latent', ['B', e, h, w])] },
    decoder: { inputs: [f('latent', ['B', e, h, w])], outputs: [f('image', ['B', 3, H, H])] },
    refiner: { inputs: [f('x', ['B', e, h, w]), i('stage', [1])], outputs: [f('y', ['B', e, h, w])] },
    content: {
      inputs: [i('class_id', ['B']), i('stage', ['B']), f('canvas', ['B', T, e]), i('structure', ['B', T, K]), f('pool', ['B', 'N', T])],
      outputs: [f('x0', ['B', T, e]), f('logits', ['B', 'N', V])],
    },
    structure: {
      inputs: [i('class_id', ['B']), i('stage', ['B']), f('t', ['B']), f('canvas', ['B', T, e]), i('structure', ['B', T, K]), f('noisy', ['B', T, K])],
      outputs: [f('velocity', ['B', T, K])],
    },
  };
}

type Meta = InferenceSession.ValueMetadata;

/**
 * Compares a session's metadata with the contract. Checked: the exact set of input and output
 * names, each one's element type and rank, every fixed size (a symbolic dimension is accepted
 * wherever the contract has a size), and that the batch/cluster dimensions (B, N) are dynamic.
 * Returns the first problem or null.
 */
export function signatureProblem(sig: GraphSignature, inputs: readonly Meta[], outputs: readonly Meta[]): string | null {
  for (const [kind, want, got] of [['input', sig.inputs, inputs], ['output', sig.outputs, outputs]] as const) {
    const names = got.map((g) => g.name);
    const wantNames = want.map((s) => s.name);
    const missing = wantNames.filter((n) => !names.includes(n));
    const extra = names.filter((n) => !wantNames.includes(n));
    if (missing.length || extra.length) {
      return `${kind}s are [${names.join(', ')}], expected [${wantNames.join(', ')}]`;
    }
    for (const spec of want) {
      const meta = got.find((g) => g.name === spec.name)!;
      if (!meta.isTensor) return `${kind} ${spec.name} is not a tensor`;
      if (meta.type !== spec.type) return `${kind} ${spec.name} is ${meta.type}, expected ${spec.type}`;
      if (meta.shape.length === 0) continue; // shape not recorded in the graph: nothing more to check
      if (meta.shape.length !== spec.dims.length) return `${kind} ${spec.name} has rank ${meta.shape.length}, expected ${spec.dims.length} ([${spec.dims.join(', ')}])`;
      for (let d = 0; d < spec.dims.length; d++) {
        const want = spec.dims[d];
        const have = meta.shape[d];
        const symbolic = typeof have === 'string' || have < 0;
        if (typeof want === 'number' && !symbolic && have !== want) {
          return `${kind} ${spec.name} has shape [${meta.shape.join(', ')}], expected [${spec.dims.join(', ')}]`;
        }
        if ((want === 'B' || want === 'N') && !symbolic) {
          return `${kind} ${spec.name}: dimension ${d} (${want}) is fixed to ${have}, it must be dynamic`;
        }
      }
    }
  }
  return null;
}

// ------------------------------------------------------------------------------ the pack

export interface LoadPackOptions {
  /** Execution provider: 'auto' (default) = the platform's accelerator, falling back to 'cpu'. */
  provider?: ProviderChoice;
  /** onnxruntime intra-op threads per session (default: onnxruntime's choice, all cores). */
  intraOpThreads?: number;
  /**
   * Let idle onnxruntime threads spin between ops (onnxruntime's default). Off by default here:
   * the graphs are small and run hundreds of times per image, and on a shared CPU (the app's UI,
   * other programs) spinning threads slow everything down: on 2 busy cores a structure-model call
   * took 5.6 ms with spinning against 3.3 ms without.
   */
  spinWait?: boolean;
}

export interface PackDims {
  imageSize: number;
  h: number;
  w: number;
  e: number;
  T: number;
  K: number;
  V: number;
  numClasses: number;
  nullClass: number;
}

export interface Pack {
  readonly dir: string;
  readonly manifest: PackManifest;
  /** sha256 of manifest.json's bytes: the pack id recorded in VGS records and fixtures. */
  readonly manifestSha256: string;
  readonly dims: PackDims;
  /** V x e, row-major. */
  readonly codebook: Float32Array;
  readonly sessions: Readonly<Record<GraphName, InferenceSession>>;
  readonly provider: ProviderReport;
  readonly disposed: boolean;
  /** Releases the five sessions; the pack cannot run afterwards (DISPOSED). */
  dispose(): Promise<void>;
}

function missing(file: string, err: unknown): EngineError {
  return new EngineError('PACK_MISSING_FILE', `${file}: cannot read the pack file (${errorMessage(err)})`, { file }, { cause: err });
}

/** Streams a file into sha256 and keeps its bytes (one read: the hashed bytes are the used bytes). */
async function readHashed(path: string, file: string): Promise<{ bytes: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw missing(file, err);
  }
  return { bytes: Buffer.concat(chunks), sha256: hash.digest('hex') };
}

async function readVerified(dir: string, file: string, sha256: string, expectedSize?: number): Promise<Buffer> {
  const path = join(dir, file);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    throw missing(file, err);
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    // Checked before reading, so a huge stray file is never loaded.
    throw new EngineError('PACK_BAD_CODEBOOK', `${file}: ${size} bytes, the manifest's V x e float32 needs ${expectedSize}`, { file, size, expectedSize });
  }
  const { bytes, sha256: actual } = await readHashed(path, file);
  if (actual !== sha256) {
    throw new EngineError('PACK_SHA256_MISMATCH', `${file}: sha256 ${actual} does not match the manifest (${sha256}); the pack is corrupt or was modified`, {
      file,
      expected: sha256,
      actual,
    });
  }
  return bytes;
}

/** Little-endian float32 codebook -> Float32Array, refusing NaN/inf (they would poison every distance). */
function decodeCodebook(bytes: Buffer, file: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(4 * i, true);
    if (!Number.isFinite(v)) throw new EngineError('PACK_BAD_CODEBOOK', `${file}: value ${i} is not finite`, { file, index: i });
    out[i] = v;
  }
  return out;
}

async function releaseAll(sessions: Partial<Record<GraphName, InferenceSession>>): Promise<void> {
  await Promise.all(Object.values(sessions).map((s) => s?.release().catch(() => undefined)));
}

/** Creates the five sessions with one provider list; on failure releases what was created. */
async function createSessions(graphs: Record<GraphName, Buffer>, provider: ProviderName, threads?: number, spinWait = false) {
  const options: InferenceSession.SessionOptions = {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    ...(threads ? { intraOpNumThreads: threads } : {}),
    ...(spinWait ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  };
  const sessions: Partial<Record<GraphName, InferenceSession>> = {};
  try {
    for (const g of GRAPH_NAMES) sessions[g] = await InferenceSession.create(graphs[g], options);
  } catch (err) {
    await releaseAll(sessions);
    throw err;
  }
  return sessions as Record<GraphName, InferenceSession>;
}

/**
 * Loads and checks a pack folder. Throws EngineError: PACK_MISSING_FILE, PACK_BAD_MANIFEST,
 * PACK_UNSUPPORTED_VERSION, PACK_SHA256_MISMATCH, PACK_BAD_CODEBOOK, PACK_BAD_GRAPH,
 * PACK_GRAPH_SIGNATURE.
 */
export async function loadPack(dir: string, options: LoadPackOptions = {}): Promise<Pack> {
  const manifestPath = join(dir, 'manifest.json');
  let raw: Buffer;
  try {
    raw = await readFile(manifestPath);
  } catch (err) {
    throw missing('manifest.json', err);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new EngineError('PACK_BAD_MANIFEST', `manifest.json: not valid JSON (${errorMessage(err)})`, { file: 'manifest.json' });
  }
  const manifest = validateManifest(json);
  const manifestSha256 = createHash('sha256').update(raw).digest('hex');
  const { h, w, e } = manifest.latent;
  const V = manifest.codebook.V;
  const dims: PackDims = {
    imageSize: manifest.image.size, h, w, e, T: h * w, K: manifest.stages.K, V,
    numClasses: manifest.classes.length, nullClass: manifest.nullClass,
  };

  // Hash everything (in parallel; I/O bound) before handing any byte to onnxruntime.
  const [cbBytes, ...graphBytes] = await Promise.all([
    readVerified(dir, manifest.codebook.file, manifest.codebook.sha256, V * e * 4),
    ...GRAPH_NAMES.map((g) => readVerified(dir, manifest.files[g].file, manifest.files[g].sha256)),
  ]);
  const codebook = decodeCodebook(cbBytes, manifest.codebook.file);
  const graphs = Object.fromEntries(GRAPH_NAMES.map((g, i) => [g, graphBytes[i]])) as Record<GraphName, Buffer>;

  // Sessions: the preferred accelerator first; any failure there falls back to the next provider.
  const tried: ProviderName[] = [];
  const reasons: string[] = [];
  let sessions: Record<GraphName, InferenceSession> | undefined;
  let provider: ProviderName = 'cpu';
  let lastError: unknown;
  for (const p of providerPreference(options.provider ?? 'auto')) {
    const unavailable = providerUnavailable(p);
    if (unavailable) {
      reasons.push(unavailable);
      continue;
    }
    tried.push(p);
    try {
      sessions = await createSessions(graphs, p, options.intraOpThreads, options.spinWait);
      provider = p;
      break;
    } catch (err) {
      lastError = err;
      if (p !== 'cpu') reasons.push(`${PROVIDER_LABEL[p]} not available: ${errorMessage(err).split('\n')[0]}`);
    }
  }
  if (!sessions) {
    // The CPU provider failed too: the graph itself is unreadable. Say which one.
    const bad = await findBadGraph(graphs, options.intraOpThreads);
    const file = bad ? manifest.files[bad.graph].file : undefined;
    throw new EngineError(
      'PACK_BAD_GRAPH',
      `${file ?? 'a graph'}: onnxruntime cannot load it (${errorMessage(bad?.err ?? lastError)})`,
      { file, graph: bad?.graph },
      { cause: bad?.err ?? lastError },
    );
  }

  const sigs = graphSignatures(manifest);
  for (const g of GRAPH_NAMES) {
    const problem = signatureProblem(sigs[g], sessions[g].inputMetadata, sessions[g].outputMetadata);
    if (problem) {
      await releaseAll(sessions);
      throw new EngineError('PACK_GRAPH_SIGNATURE', `${manifest.files[g].file} (${g}): ${problem}`, { file: manifest.files[g].file, graph: g, problem });
    }
  }

  let disposed = false;
  const live = sessions;
  return {
    dir,
    manifest,
    manifestSha256,
    dims,
    codebook,
    sessions: live,
    provider: { provider, tried, ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) },
    get disposed() {
      return disposed;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await releaseAll(live);
    },
  };
}

/** Which graph fails to load on the CPU (only called after a failure, to name the file). */
async function findBadGraph(graphs: Record<GraphName, Buffer>, threads?: number): Promise<{ graph: GraphName; err: unknown } | undefined> {
  for (const g of GRAPH_NAMES) {
    try {
      const s = await InferenceSession.create(graphs[g], { executionProviders: ['cpu'], logSeverityLevel: 4, ...(threads ? { intraOpNumThreads: threads } : {}) });
      await s.release();
    } catch (err) {
      return { graph: g, err };
    }
  }
  return undefined;
}
