/**
 * `light-peft --help` and `light-peft <command> --help`: exit code 0, the usage on stdout and
 * nothing on stderr, before any file or GPU is touched. Each command's usage names every option
 * its OPTIONS object accepts, so the two cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './cli';
import { COMMANDS } from '../src/cli/commands';

const names = Object.keys(COMMANDS);

/** `--name` as a whole option in a usage text (not the start of a longer one such as --lora-r in --lora-rank). */
const mentions = (usage: string, option: string) => new RegExp(`(^|[\\s\\[|(])--${option}(?![\\w-])`, 'm').test(usage);

describe('light-peft --help', () => {
  it('lists every command, for --help, -h, help and no arguments', async () => {
    expect(names).toEqual(['grad', 'train', 'eval', 'plan']);
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const r = await cli(args);
      expect({ code: r.code, stderr: r.stderr }, args.join(' ')).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^usage: light-peft <command> \[options\]\n/);
      for (const name of names) expect(r.stdout, name).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
      expect(r.stdout).toContain('light-peft <command> --help');
    }
  });

  it('points at --help when an option is unknown, and still exits 2', async () => {
    const r = await cli(['plan', '--head-ratios', '0.5']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^light-peft: plan: Unknown option '--head-ratios' \(light-peft plan --help lists the options\)$/m);
  });
});

describe.each(names)('light-peft %s --help', (name) => {
  const command = COMMANDS[name];

  it('prints the command usage for --help, -h and `help <command>`, whatever else is given', async () => {
    for (const args of [[name, '--help'], [name, '-h'], ['help', name], [name, '--no-such-option', '--help'], [name, '--model', '/no/such/dir', '-h']]) {
      const r = await cli(args);
      expect({ code: r.code, stderr: r.stderr }, args.join(' ')).toEqual({ code: 0, stderr: '' });
      expect(r.stdout, args.join(' ')).toBe(command.usage);
    }
    expect(command.usage).toMatch(new RegExp(`^usage: light-peft ${name} `));
  });

  it('names every option the command accepts', () => {
    const options = Object.keys(command.options);
    expect(options.length).toBeGreaterThan(0);
    const missing = options.filter((option) => !mentions(command.usage, option));
    expect(missing, `options of ${name} missing from its usage`).toEqual([]);
    expect(mentions(command.usage, 'help')).toBe(true);
  });
});
