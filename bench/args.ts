/** Command-line options shared by the benchmarks. */
export interface BenchArgs {
  quick: boolean;
  runs: number;
}

/**
 * A benchmark's own options: `take` consumes `arg` (reading its value through `value()`) and says
 * whether it did; `usage` lists them for the unknown-option error.
 */
export interface OwnOptions {
  take(arg: string, value: () => string): boolean;
  usage: string;
  /** Runs when --runs is not given (default 5). */
  defaultRuns?: number;
}

export function parseBenchArgs(argv: string[], env: Record<string, string | undefined> = process.env, own?: OwnOptions): BenchArgs {
  let quick: boolean | undefined;
  let runs = own?.defaultRuns ?? 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (own?.take(arg, value)) continue;
    if (arg === '--quick') quick = true;
    else if (arg === '--full') quick = false;
    else if (arg.startsWith('--shapes')) {
      const shapes = value();
      if (shapes !== 'small' && shapes !== 'full') throw new Error(`--shapes takes small or full, not ${shapes}`);
      quick = shapes === 'small';
    } else if (arg.startsWith('--runs')) {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
    } else throw new Error(`unknown option ${arg} (known: --quick, --full, --shapes small|full, --runs N${own ? `, ${own.usage}` : ''})`);
  }
  // Full roberta-base shapes take minutes on SwiftShader: CI gets the quick ones unless told.
  return { quick: quick ?? Boolean(env.CI), runs };
}
