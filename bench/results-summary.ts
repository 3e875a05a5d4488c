/**
 * The headline figures of issue 11, from the benchmarks' own reports (pure: bench/report.ts reads
 * the files and writes what this returns). A speedup is the comparison's time / ours; a reduction
 * is 1 − ours / the comparison's; every ratio comes from one run of one benchmark.
 */
import type { PlanRatios } from '../src/shared/pruning-plan';
import type { KernelShare } from '../src/gpu/profiler';

/** bench/lightpeft.ts's report (the fields used here). */
export interface LightPeftBench {
  date: string;
  quick: boolean;
  runs: number;
  shape: { layers: number; hidden: number; heads: number; intermediate: number; vocab: number; batch: number; seqLen: number };
  results: {
    name: string;
    ratios: PlanRatios | null;
    trainStepMs: number;
    peakTrainBytes: number;
    inferenceMs: number;
    inferenceBytes: number;
    /** Each interleaved round's time (absent in reports from before the rounds were interleaved). */
    trainStepSamplesMs?: number[];
    inferenceSamplesMs?: number[];
    memory: { train: Record<string, number>; inference: Record<string, number> };
    /** One profiled training step's and one forward's GPU time by kernel (null or absent: not profiled). */
    profile?: { train: KernelShare[]; inference: KernelShare[] } | null;
  }[];
}

/** One method comparison on the demo, by tools/demo/compare-methods.sh (its summary.json). */
export interface DemoAccuracyRun {
  ratios: PlanRatios;
  accuracyDifference: number;
  lora: { accuracy: number };
  lightPeft: { accuracy: number };
  steps: number;
  batch: number;
  maxLength: number;
  date: string;
}

/** bench/demo-accuracy.json (committed): the demo runs and the command that made them. */
export interface DemoAccuracy {
  command: string;
  runs: DemoAccuracyRun[];
}

/** bench/matmul-tfjs.ts's report. */
export interface MatmulTfjsBench {
  browser: string;
  date: string;
  quick: boolean;
  adapter: { vendor: string; architecture: string; description: string };
  results: { shape: string; layout: 'NN' | 'NT'; oursGflops: number; tfjsGflops: number; speedup: number }[];
}

/** bench/infer-transformersjs.ts's report. */
export interface InferTransformersJsBench {
  browser: string;
  date: string;
  model: Record<string, number>;
  batch: number;
  seqLen: number;
  oursMs: number;
  webgpu: { ms: number; speedup: number; maxAbsDiff: number };
  wasm: { ms: number; speedup: number; maxAbsDiff: number; threads?: number };
}

/** bench/torch-step.ts's report. */
export interface TorchStepBench {
  date: string;
  cpu: { model: string; cores: number };
  shape: Record<string, number>;
  torch: { version: string; threads: number; stepMs: number; forwardMs: number };
  ours: { runtime: string; adapter: string; stepMs: number; forwardMs: number };
  torchSpeedupOverOurs: number;
}

export interface BenchInputs {
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  lightPeft: LightPeftBench | null;
  /** bench:lightpeft at the roberta-base shape (see bench/lightpeft.ts: on a CPU, often one step per configuration). */
  lightPeftRobertaBase: LightPeftBench | null;
  demoAccuracy: DemoAccuracy | null;
  matmulTfjs: MatmulTfjsBench | null;
  inferTransformersJs: InferTransformersJsBench | null;
  torchStep: TorchStepBench | null;
}

/** Light-PEFT may cost at most this much demo accuracy (a fraction) at the headline ratios. */
export const ACCURACY_TOLERANCE = 0.01;

const sameRatios = (a: PlanRatios, b: PlanRatios) =>
  a.head === b.head && a.ffn === b.ffn && a.module === b.module && a.rank === b.rank && a.headScope === b.headScope && a.ffnScope === b.ffnScope;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export function lightPeftVsLora(bench: LightPeftBench, accuracy: DemoAccuracy | null) {
  const [baseline, ...pruned] = bench.results;
  if (!baseline || baseline.ratios !== null) throw new Error('bench/lightpeft.ts report: the first result must be the unpruned LoRA baseline');
  const configurations = pruned.map((m) => {
    const demo = accuracy?.runs.find((run) => m.ratios && sameRatios(run.ratios, m.ratios)) ?? null;
    return {
      name: m.name,
      ratios: m.ratios!,
      train_step_speedup: round(baseline.trainStepMs / m.trainStepMs),
      train_peak_bytes_reduction: round(1 - m.peakTrainBytes / baseline.peakTrainBytes),
      infer_speedup: round(baseline.inferenceMs / m.inferenceMs),
      infer_bytes_reduction: round(1 - m.inferenceBytes / baseline.inferenceBytes),
      by_round: speedupsByRound(baseline, m),
      table_on_gpu: tableOnGpu(baseline, m),
      accuracy_delta: demo ? round(demo.accuracyDifference, 4) : null,
      memory: m.memory,
      profile: roundedProfile(m.profile),
    };
  });
  // The headline: the fastest configuration whose recorded demo accuracy is within the tolerance.
  const eligible = configurations.filter((c) => c.accuracy_delta !== null && c.accuracy_delta >= -ACCURACY_TOLERANCE);
  const headline = eligible.sort((a, b) => b.train_step_speedup - a.train_step_speedup)[0] ?? null;
  const { shape } = bench;
  return {
    ...(headline ?? { note: `no configuration has a recorded demo accuracy within ${ACCURACY_TOLERANCE * 100} point` }),
    model_shape: `${shape.layers} layers × ${shape.hidden} hidden, ${shape.heads} heads, FFN ${shape.intermediate}, vocab ${shape.vocab}`,
    batch: `${shape.batch} × ${shape.seqLen}`,
    quick: bench.quick,
    runs: bench.runs,
    date: bench.date,
    baseline: { name: baseline.name, memory: baseline.memory, profile: roundedProfile(baseline.profile) },
    configurations,
  };
}

/**
 * The lowest and highest speedup within one interleaved round (the baseline's time that round / ours):
 * how far the machine's drift moves a ratio. Null when the sides were not timed in (several) rounds.
 */
function speedupsByRound(baseline: LightPeftBench['results'][number], m: LightPeftBench['results'][number]) {
  const range = (theirs: number[] | undefined, ours: number[] | undefined) => {
    if (!theirs || theirs.length < 2 || theirs.length !== ours?.length) return null;
    const ratios = theirs.map((t, i) => t / ours[i]);
    return [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)] as [number, number];
  };
  const train = range(baseline.trainStepSamplesMs, m.trainStepSamplesMs);
  const infer = range(baseline.inferenceSamplesMs, m.inferenceSamplesMs);
  return train && infer ? { train_step_speedup: train, infer_speedup: infer } : null;
}

function roundedProfile(profile: LightPeftBench['results'][number]['profile']) {
  if (!profile) return null;
  const each = (kernels: KernelShare[]) => kernels.map((k) => ({ name: k.name, ms: round(k.ms, 2), dispatches: k.dispatches, share: round(k.share, 4) }));
  return { train: each(profile.train), inference: each(profile.inference) };
}

/**
 * The reductions as they would be with the word table on the GPU, as it was before it moved to the
 * host and as the paper measured: the table's bytes added to both sides (it is one exact-size
 * buffer that pruning never touches). Null for a report from before the move.
 */
function tableOnGpu(baseline: LightPeftBench['results'][number], m: LightPeftBench['results'][number]) {
  const table = m.memory.inference.hostWordTable;
  if (table === undefined) return null;
  return {
    train_peak_bytes_reduction: round(1 - (m.peakTrainBytes + table) / (baseline.peakTrainBytes + table)),
    infer_bytes_reduction: round(1 - (m.inferenceBytes + table) / (baseline.inferenceBytes + table)),
  };
}

export function matmulVsTfjs(bench: MatmulTfjsBench) {
  const speedups = bench.results.map((r) => r.speedup);
  const byLayout = (layout: 'NN' | 'NT') => {
    const s = bench.results.filter((r) => r.layout === layout).map((r) => r.speedup);
    return { min: round(Math.min(...s), 2), max: round(Math.max(...s), 2) };
  };
  return {
    speedup: { min: round(Math.min(...speedups), 2), max: round(Math.max(...speedups), 2), NN: byLayout('NN'), NT: byLayout('NT') },
    gflops: bench.results.map((r) => ({ shape: r.shape, layout: r.layout, ours: round(r.oursGflops, 2), tfjs: round(r.tfjsGflops, 2), speedup: round(r.speedup, 2) })),
    shapes: [...new Set(bench.results.map((r) => r.shape))],
    browser: bench.browser,
    quick: bench.quick,
    date: bench.date,
  };
}

export function inferVsTransformersJs(bench: InferTransformersJsBench) {
  return {
    speedup: round(bench.webgpu.speedup, 2),
    wasm_speedup: round(bench.wasm.speedup, 2),
    ms: { ours: round(bench.oursMs, 1), webgpu: round(bench.webgpu.ms, 1), wasm: round(bench.wasm.ms, 1) },
    wasm_threads: bench.wasm.threads ?? null,
    max_abs_logit_diff: { webgpu: bench.webgpu.maxAbsDiff, wasm: bench.wasm.maxAbsDiff },
    model: bench.model,
    batch: `${bench.batch} × ${bench.seqLen}`,
    browser: bench.browser,
    date: bench.date,
  };
}

export function stepVsPytorch(bench: TorchStepBench) {
  return {
    torch_speedup_over_ours: round(bench.torchSpeedupOverOurs, 1),
    step_ms: { ours: round(bench.ours.stepMs, 1), torch: round(bench.torch.stepMs, 1) },
    forward_ms: { ours: round(bench.ours.forwardMs, 1), torch: round(bench.torch.forwardMs, 1) },
    torch: `${bench.torch.version}, ${bench.torch.threads} threads`,
    shape: bench.shape,
    date: bench.date,
  };
}

/** The parts of the results that one benchmark each makes. */
type PartName = 'lightpeft_vs_lora' | 'roberta_base' | 'matmul_vs_tfjs' | 'infer_vs_transformersjs' | 'step_vs_pytorch';

/** An earlier bench/results.json, as far as `benchResults` reads it. */
export type EarlierResults = { machine: BenchInputs['machine'] } & Partial<Record<PartName, unknown>>;

/**
 * The summary of this run's reports. `previous` (the committed bench/results.json): a part whose
 * report is absent keeps its earlier figures, with their own date, when they were measured on a
 * machine like this one (same CPU, cores and memory), so rerunning one benchmark does not drop the
 * others; it is listed in `kept`. A part with neither is listed in `missing`.
 */
export function benchResults(inputs: BenchInputs, date: string, adapter: Record<string, unknown>, previous: EarlierResults | null = null) {
  const missing: PartName[] = [];
  const kept: { part: PartName; date: string }[] = [];
  const sameMachine = previous !== null && sameMachineKind(previous.machine, inputs.machine);
  const part = <T, R extends { date: string }>(name: PartName, input: T | null, make: (input: T) => R): R | null => {
    if (input) return make(input);
    const earlier = sameMachine ? (previous[name] as R | null | undefined) : null;
    if (earlier) {
      kept.push({ part: name, date: earlier.date });
      return earlier;
    }
    missing.push(name);
    return null;
  };
  return {
    date,
    machine: inputs.machine,
    lightpeft_vs_lora: part('lightpeft_vs_lora', inputs.lightPeft, (b) => lightPeftVsLora(b, inputs.demoAccuracy)),
    roberta_base: part('roberta_base', inputs.lightPeftRobertaBase, (b) => {
      const { configurations, model_shape, batch, runs, baseline, date } = lightPeftVsLora(b, null);
      const figures = configurations.map(({ name, train_step_speedup, train_peak_bytes_reduction, infer_speedup, infer_bytes_reduction, by_round, table_on_gpu, memory, profile }) =>
        ({ name, train_step_speedup, train_peak_bytes_reduction, infer_speedup, infer_bytes_reduction, by_round, table_on_gpu, memory, profile }));
      return { model_shape, batch, runs, date, baseline, configurations: figures };
    }),
    matmul_vs_tfjs: part('matmul_vs_tfjs', inputs.matmulTfjs, matmulVsTfjs),
    infer_vs_transformersjs: part('infer_vs_transformersjs', inputs.inferTransformersJs, inferVsTransformersJs),
    step_vs_pytorch: part('step_vs_pytorch', inputs.torchStep, stepVsPytorch),
    adapter,
    missing,
    kept,
  };
}

export type BenchResults = ReturnType<typeof benchResults>;

const sameMachineKind = (a: BenchInputs['machine'], b: BenchInputs['machine']) => a.cpu === b.cpu && a.cores === b.cores && a.memoryGiB === b.memoryGiB;

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const times = (x: number) => `${x.toFixed(2)}×`;
/** A speedup cell: the ratio of medians, then its lowest and highest within one round when timed in rounds. */
const faster = (speedup: number, byRound: [number, number] | undefined) =>
  `${times(speedup)} faster${byRound ? ` (${byRound[0].toFixed(2)}–${byRound[1].toFixed(2)} by round)` : ''}`;
const roundsNote = (runs: number) =>
  `Each speedup is the baseline's median time over ours, the configurations timed in ${runs} interleaved rounds; in brackets the lowest and highest ratio within one round, how far this machine's drift moves it.`;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** bench/RESULTS.md: the same figures as a page a person reads. */
export function resultsMarkdown(r: BenchResults): string {
  const lines = [`# Benchmark results`, '', `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), ${r.machine.os}, Node ${r.machine.node}.`];
  lines.push(`WebGPU adapter: ${describeAdapter(r.adapter)}. Rerun with \`npm run bench\` (see the README); the figures are in \`bench/results.json\`.`, '');
  lines.push('## Targets (issue 11)', '', '| target | measured | met |', '|---|---|---|');
  for (const t of targetChecks(r)) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'not measured' : t.met ? 'yes' : 'no'} |`);
  lines.push('');
  const lp = r.lightpeft_vs_lora;
  if (lp) {
    lines.push(`## Light-PEFT vs the LoRA baseline (Node, ${lp.model_shape}, batch ${lp.batch})`, '');
    lines.push('| ratios | train step | peak train bytes | inference | inference bytes | demo accuracy Δ |', '|---|---|---|---|---|---|');
    for (const c of lp.configurations) {
      const acc = c.accuracy_delta === null ? 'not measured' : `${(c.accuracy_delta * 100).toFixed(1)} points`;
      lines.push(`| ${c.name} | ${faster(c.train_step_speedup, c.by_round?.train_step_speedup)} | ${pct(c.train_peak_bytes_reduction)} lower | ${faster(c.infer_speedup, c.by_round?.infer_speedup)} | ${pct(c.infer_bytes_reduction)} lower | ${acc} |`);
    }
    if (lp.configurations.some((c) => c.by_round)) lines.push('', roundsNote(lp.runs));
    lines.push(...tableOnGpuNote(lp));
    lines.push(...memoryTables(lp), ...profileTables(lp, 'name' in lp ? lp.name : undefined));
  }
  const rb = r.roberta_base;
  if (rb) {
    const steps = rb.runs === 1 ? 'one timed step and one timed forward each' : `median of ${rb.runs} steps and forwards each`;
    lines.push(`## Light-PEFT vs the LoRA baseline at the roberta-base shape (Node, ${rb.model_shape}, batch ${rb.batch}, ${steps})`, '');
    lines.push('| ratios | train step | peak train bytes | inference | inference bytes |', '|---|---|---|---|---|');
    for (const c of rb.configurations) {
      lines.push(`| ${c.name} | ${faster(c.train_step_speedup, c.by_round?.train_step_speedup)} | ${pct(c.train_peak_bytes_reduction)} lower | ${faster(c.infer_speedup, c.by_round?.infer_speedup)} | ${pct(c.infer_bytes_reduction)} lower |`);
    }
    if (rb.configurations.some((c) => c.by_round)) lines.push('', roundsNote(rb.runs));
    lines.push(...tableOnGpuNote(rb));
    lines.push(...memoryTables(rb), ...profileTables(rb, lp && 'name' in lp ? lp.name : undefined));
  }
  const mm = r.matmul_vs_tfjs;
  if (mm) {
    lines.push(`## Matmul vs tfjs-backend-webgpu (${mm.browser}, same page)`, '', '| shape | layout | ours GFLOP/s | tfjs GFLOP/s | speedup |', '|---|---|---|---|---|');
    for (const g of mm.gflops) lines.push(`| ${g.shape} | ${g.layout} | ${g.ours} | ${g.tfjs} | ${times(g.speedup)} |`);
    lines.push('');
  }
  const inf = r.infer_vs_transformersjs;
  if (inf) {
    lines.push(`## Inference vs transformers.js (${inf.browser}, same page, batch ${inf.batch})`, '');
    lines.push(`Ours ${inf.ms.ours} ms; transformers.js \`webgpu\` ${inf.ms.webgpu} ms (ours ${times(inf.speedup)} faster); \`wasm\` ${inf.ms.wasm} ms (speedup ${times(inf.wasm_speedup)}; below 1 means wasm is faster).`, '');
  }
  const pt = r.step_vs_pytorch;
  if (pt) {
    lines.push(`## Training step vs PyTorch on the same CPU`, '');
    lines.push(`LoRA baseline step: ours ${pt.step_ms.ours} ms (Node, WebGPU on the CPU), torch ${pt.torch} ${pt.step_ms.torch} ms: torch is ${pt.torch_speedup_over_ours}× faster. Forward: ${pt.forward_ms.ours} vs ${pt.forward_ms.torch} ms.`, '');
  }
  if (r.kept.length) lines.push(`Kept from earlier runs on this kind of machine (their reports were not rerun): ${r.kept.map((k) => `${k.part} (${k.date.slice(0, 10)})`).join(', ')}.`, '');
  if (r.missing.length) lines.push(`Not measured in this run: ${r.missing.join(', ')}.`, '');
  return lines.join('\n');
}

type TableOnGpuRows = {
  baseline: { memory: { inference: Record<string, number> } };
  configurations: { name: string; table_on_gpu: { train_peak_bytes_reduction: number; infer_bytes_reduction: number } | null }[];
};

/** What the byte reductions would be with the word table on the GPU (the paper's measurement). */
function tableOnGpuNote({ baseline, configurations }: TableOnGpuRows): string[] {
  const table = baseline.memory.inference.hostWordTable;
  if (table === undefined) return [];
  const each = configurations.flatMap((c) => (c.table_on_gpu ? [`${c.name}: ${pct(c.table_on_gpu.train_peak_bytes_reduction)} and ${pct(c.table_on_gpu.infer_bytes_reduction)}`] : []));
  return ['', `The word table (${mib(table)} MiB) stays in host memory, so neither side's bytes count it; with it on the GPU, as the paper measures, peak training and inference bytes would be lower by ${each.join('; ')}.`];
}

type MemoryRows = {
  baseline: { name: string; memory: { train: Record<string, number>; inference: Record<string, number> } };
  configurations: { name: string; memory: { train: Record<string, number>; inference: Record<string, number> } }[];
};

/** What the training peak and the inference peak are made of, one table each. */
function memoryTables({ baseline, configurations }: MemoryRows): string[] {
  const table = (phase: 'train' | 'inference', title: string, trainable: string) => {
    const rows = ['', title, '', `| | base weights | ${trainable} | other | activations | pool slack |`, '|---|---|---|---|---|---|'];
    for (const { name, memory } of [baseline, ...configurations]) {
      const m = memory[phase];
      if (m.baseWeights === undefined) return []; // a report from before the breakdown
      rows.push(`| ${name} | ${mib(m.baseWeights)} | ${mib(m.trainableWeights + m.gradients + m.optimizerState)} | ${mib(m.otherPersistent)} | ${mib(m.activations)} | ${mib(m.poolSlack)} |`);
    }
    return rows;
  };
  return [
    ...table('train', 'What the training peak is made of (MiB):', 'trainable + grads + AdamW'),
    ...table('inference', 'What the inference peak is made of (MiB):', 'trainable weights'),
    '',
  ];
}

/** A kernel gets its own row when it takes at least this share of some profiled step. */
const PROFILE_ROW_SHARE = 0.03;

type ProfileRows = {
  baseline: { name: string; profile?: { train: KernelShare[]; inference: KernelShare[] } | null };
  configurations: { name: string; profile?: { train: KernelShare[]; inference: KernelShare[] } | null }[];
};

/**
 * Where the GPU time of one profiled training step and one forward goes, by kernel, for the
 * baseline and `headline` (the last configuration without one). Nothing without a profile.
 */
function profileTables({ baseline, configurations }: ProfileRows, headline: string | undefined): string[] {
  const other = configurations.find((c) => c.name === headline) ?? configurations.at(-1);
  if (!baseline.profile || !other?.profile) return [];
  const columns = [
    { title: `${baseline.name}, train step`, kernels: baseline.profile.train },
    { title: `${other.name}, train step`, kernels: other.profile.train },
    { title: `${baseline.name}, forward`, kernels: baseline.profile.inference },
    { title: `${other.name}, forward`, kernels: other.profile.inference },
  ];
  const named = [...new Set(columns.flatMap((c) => c.kernels.filter((k) => k.share >= PROFILE_ROW_SHARE).map((k) => k.name)))];
  const cell = (kernels: KernelShare[]) => {
    const ms = kernels.reduce((sum, k) => sum + k.ms, 0);
    return kernels.length === 0 ? '—' : `${ms.toFixed(1)} ms (${pct(kernels.reduce((sum, k) => sum + k.share, 0))})`;
  };
  const rows = [
    `Where the GPU time goes (one profiled training step and one forward after the timed ones; ms and share of its GPU time, by kernel):`,
    '',
    `| kernel | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '---|').join('')}`,
  ];
  for (const name of named) rows.push(`| ${name} | ${columns.map((c) => cell(c.kernels.filter((k) => k.name === name))).join(' | ')} |`);
  rows.push(`| other kernels | ${columns.map((c) => cell(c.kernels.filter((k) => !named.includes(k.name)))).join(' | ')} |`);
  rows.push(`| total | ${columns.map((c) => cell(c.kernels)).join(' | ')} |`, '');
  return rows;
}

/** Each target of issue 11 that a CPU-only run can check, against this run's figure. */
export function targetChecks(r: BenchResults): { target: string; measured: string; met: boolean | null }[] {
  const lp = r.lightpeft_vs_lora && 'train_step_speedup' in r.lightpeft_vs_lora ? r.lightpeft_vs_lora : null;
  const check = (target: string, value: number | undefined, goal: number, show: (x: number) => string) =>
    ({ target, measured: value === undefined ? '—' : show(value), met: value === undefined ? null : value >= goal });
  const nn = r.matmul_vs_tfjs?.speedup.min;
  // The headline shape, at the quick shape's headline ratios (their demo accuracy is what is recorded).
  const rb = r.roberta_base;
  const rbHeadline = lp && rb ? rb.configurations.find((c) => c.name === lp.name) : undefined;
  const atRobertaBase = rb ? `, roberta-base shape (batch ${rb.batch})` : ', roberta-base shape';
  return [
    check('Light-PEFT training step ≥ 1.8× the LoRA baseline (quick shape)', lp?.train_step_speedup, 1.8, times),
    check(`Light-PEFT training step ≥ 1.8× the LoRA baseline${atRobertaBase}`, rbHeadline?.train_step_speedup, 1.8, times),
    check('Light-PEFT peak training bytes ≥ 45% lower (quick shape)', lp?.train_peak_bytes_reduction, 0.45, pct),
    check(`Light-PEFT peak training bytes ≥ 45% lower${atRobertaBase}`, rbHeadline?.train_peak_bytes_reduction, 0.45, pct),
    check('Light-PEFT inference ≥ 1.8× faster (quick shape)', lp?.infer_speedup, 1.8, times),
    check(`Light-PEFT inference ≥ 1.8× faster${atRobertaBase}`, rbHeadline?.infer_speedup, 1.8, times),
    check('Light-PEFT inference bytes ≥ 50% lower (quick shape)', lp?.infer_bytes_reduction, 0.5, pct),
    check(`Light-PEFT inference bytes ≥ 50% lower${atRobertaBase}`, rbHeadline?.infer_bytes_reduction, 0.5, pct),
    check('matmul ≥ 8× tfjs-backend-webgpu at every shape (SwiftShader)', nn, 8, times),
    check('inference ≥ 10× transformers.js webgpu (SwiftShader)', r.infer_vs_transformersjs?.speedup, 10, times),
  ];
}

function describeAdapter(adapter: Record<string, unknown>): string {
  return Object.entries(adapter)
    .map(([runtime, info]) => {
      const i = info as { vendor?: string; architecture?: string; description?: string };
      return `${runtime}: ${[i.vendor, i.architecture, i.description].filter(Boolean).join(' / ') || 'unknown'}`;
    })
    .join('; ');
}
