import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ModelMeasure, PruneOutcome } from '../../workers/protocol';
import type { PruningPlan } from '../../shared/pruning-plan';
import { PruneResults } from './PruneResults';
import { ResultsScreen } from './ResultsScreen';
import { byProbability } from '../state/results';
import { ClassProbabilities } from './TryIt';

function measure(heads: number[], ffn: number[], metrics: ModelMeasure['metrics']): ModelMeasure {
  return { metrics, trainStepSeconds: 0.5, inferenceSeconds: 0.2, gpuBytes: 1 << 20, baseParams: 1000, trainableParams: 100, shape: { heads, ffn } };
}

const outcome: PruneOutcome = {
  step: 4,
  trigger: 'now',
  plan: {
    keptHeads: [[1], [0, 1]],
    keptFfn: [[0, 1], [3]],
    keptModules: [{ module: 'roberta.encoder.layer.1.attention.self.query', kind: 'lora', keptRanks: [0], removedRanks: [1] }],
    removedModules: ['roberta.encoder.layer.0.attention.self.query'],
  } as PruningPlan,
  before: measure([2, 2], [4, 4], { accuracy: 0.75, macroF1: 0.7, mcc: 0.5, count: 8 }),
  after: { ...measure([1, 2], [2, 1], null), trainStepSeconds: null },
};

describe('the Results screen', () => {
  it('marks the removed heads and FFN counts and says when the pruned model is measured', () => {
    const html = renderToStaticMarkup(createElement(PruneResults, { pruned: outcome }));
    expect(html).toContain(`data-pruned-heads="${JSON.stringify([[0, 0]]).replace(/"/g, '&quot;')}"`);
    expect(html).toContain('data-pruned-ffn="[2,3]"');
    expect(html).toContain('measured at the end of the run');
    expect(html).toContain('roberta.encoder.layer.0.attention.self.query');
    // The pruned model's accuracy is not known yet: it must not read as 0.
    expect(html).not.toContain('<td class="num">0.0%</td>');
    expect(html).toContain('<td class="num">75.0%</td><td class="num"><span class="muted small">measured at the end of the run</span>');
  });

  it('renders the whole panel before any run, with nothing to try or export yet', () => {
    const html = renderToStaticMarkup(createElement(ResultsScreen));
    expect(html).toContain('data-testid="results-panel"');
    expect(html).toContain('data-testid="prune-results-none"');
    expect(html).toContain('data-testid="compare-runs" data-tour="compare-runs" data-runs="0"');
    expect(html).toMatch(/disabled="" data-testid="try-it-run"/);
    expect(html).not.toContain('try-it-pair');
  });

  it('lists the class probabilities in the order given, with bars as wide as the probability', () => {
    const html = renderToStaticMarkup(
      createElement(ClassProbabilities, { probabilities: byProbability([{ label: 'negative', probability: 0.2 }, { label: 'positive', probability: 0.8 }]) }),
    );
    expect(html.indexOf('positive')).toBeLessThan(html.indexOf('negative'));
    expect(html).toContain('width:80.0%');
    expect(html).toContain('80.0%</span>');
    expect(html).toContain('data-probabilities="[[&quot;positive&quot;,0.8],[&quot;negative&quot;,0.2]]"');
  });
});
