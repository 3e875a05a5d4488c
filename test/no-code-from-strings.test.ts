/**
 * No code built from strings in our sources: no eval, no Function constructor, no setTimeout or
 * setInterval given a string. The Content-Security-Policy (no 'unsafe-eval') refuses them at run
 * time; this finds them before. e2e/security.ts scans the built bundles, libraries included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const GLOBALS = new Set(['globalThis', 'window', 'self']);

/** `name`, or `globalThis.name` / `window.name` / `self.name`. */
function isGlobal(node: ts.Expression, name: string): boolean {
  if (ts.isIdentifier(node)) return node.text === name;
  return ts.isPropertyAccessExpression(node) && node.name.text === name && ts.isIdentifier(node.expression) && GLOBALS.has(node.expression.text);
}

function isStringy(node: ts.Expression | undefined): boolean {
  if (!node) return false;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return true;
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isStringy(node.left) || isStringy(node.right));
}

/** Each place in `source` that makes code from a string, as `line: what`. */
function codeFromStrings(source: string, fileName = 'file.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => found.push(`${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression;
      if (isGlobal(callee, 'eval')) at(node, 'eval');
      if (isGlobal(callee, 'Function')) at(node, 'the Function constructor');
      if ((isGlobal(callee, 'setTimeout') || isGlobal(callee, 'setInterval')) && isStringy(node.arguments?.[0])) at(node, 'a timer given a string');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('code from strings', () => {
  it('is found in each of its forms', () => {
    const bad = [
      'eval("1 + 1");',
      'globalThis.eval(code);',
      'const f = new Function("a", "return a");',
      'const g = Function("return this")();',
      'setTimeout("tick()", 10);',
      'window.setInterval(`tick(${n})`, 10);',
      'setTimeout("a" + b, 1);',
    ];
    expect(codeFromStrings(bad.join('\n'))).toEqual([
      '1: eval',
      '2: eval',
      '3: the Function constructor',
      '4: the Function constructor',
      '5: a timer given a string',
      '6: a timer given a string',
      '7: a timer given a string',
    ]);
    expect(codeFromStrings('setTimeout(() => tick(), 10); const evaluate = (x: number) => x; evaluate(1); new Worker(url); obj.eval?.();')).toEqual([]);
  });

  it('appears nowhere in src/', () => {
    const files = sources(join(root, 'src'));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((path) => codeFromStrings(readFileSync(path, 'utf8'), path).map((where) => `${relative(root, path)}:${where}`));
    expect(found).toEqual([]);
  });
});
