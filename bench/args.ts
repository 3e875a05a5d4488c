/** Command-line options shared by bench/kernels.ts and bench/kernels-browser.ts. */
export interface BenchArgs {
  quick: boolean;
  runs: number;
}

export function parseBenchArgs(argv: string[], env: Record<string, string | undefined> = process.env): BenchArgs {
  let quick: boolean | undefined;
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--full') quick = false;
    else if (arg.startsWith('--shapes')) {
      const shapes = value();
      if (shapes !== 'small' && shapes !== 'full') throw new Error(`--shapes takes small or full, not ${shapes}`);
      quick = shapes === 'small';
    } else if (arg.startsWith('--runs')) {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
    } else throw new Error(`unknown option ${arg} (known: --quick, --full, --shapes small|full, --runs N)`);
  }
  // Full roberta-base shapes take minutes on SwiftShader: CI gets the quick ones unless told.
  return { quick: quick ?? Boolean(env.CI), runs };
}
