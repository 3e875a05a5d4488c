/** The setup store's model load, against a fake worker: cancelling keeps the model loaded before and leaves a note, not an error. */
import { describe, expect, it } from 'vitest';
import { EngineClient, type WorkerLike } from '../../workers/client';
import { errorReply, type ModelSummary, type Request, type WorkerMessage } from '../../workers/protocol';
import { useApp } from '../store';
import { BadInputError, CancelledError } from '../../errors';
import { cancelledNote, useSetup } from './setup';

class FakeWorker implements WorkerLike {
  sent: Request[] = [];
  private onMessage: ((event: MessageEvent<WorkerMessage>) => void) | null = null;
  postMessage(message: Request) {
    this.sent.push(message);
  }
  addEventListener(type: 'message' | 'error', listener: never) {
    if (type === 'message') this.onMessage = listener;
  }
  terminate() {}
  reply(message: WorkerMessage) {
    this.onMessage?.({ data: message } as MessageEvent<WorkerMessage>);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('setup store: model loads', () => {
  it('cancels a Hub download: the model loaded before stays, a note says so, and the token is not kept', async () => {
    const worker = new FakeWorker();
    useApp.setState({ client: new EngineClient(worker) });
    const demo = { name: 'Built-in demo model', sourceKind: 'demo' } as ModelSummary;
    const first = useSetup.getState().loadModel({ kind: 'demo', url: 'http://x/demo/model/' }, 'Fetching');
    worker.reply({ type: 'loadModel', id: 1, model: demo });
    await first;

    const source = { kind: 'hub' as const, modelId: 'FacebookAI/roberta-large@main', token: 'hf_secret_token' };
    const load = useSetup.getState().loadModel(source, 'Downloading');
    worker.reply({ type: 'progress', id: 2, file: 'model.safetensors', loaded: 1000, total: 1_400_000_000 });
    useSetup.getState().cancelModelLoad();
    expect(useSetup.getState().modelLoading).toMatchObject({ cancelling: true, progress: { file: 'model.safetensors' } });
    expect(worker.sent.at(-1)).toEqual({ type: 'cancel', id: 3, target: 2 });
    worker.reply({ type: 'cancel', id: 3, cancelled: true });
    worker.reply(errorReply(2, new CancelledError('Cancelled; nothing was kept.')));
    await load;
    await tick();

    const state = useSetup.getState();
    expect(state.model).toBe(demo);
    expect(state.modelLoading).toBeNull();
    expect(state.modelError).toBeNull();
    expect(state.modelNote).toBe(cancelledNote(source));
    expect(state.modelNote).toMatch(/^Download cancelled; nothing was kept\./);
    expect(JSON.stringify(state)).not.toContain('hf_secret_token');

    // A failure is still an error, and the next load clears the note.
    const failing = useSetup.getState().loadModel({ kind: 'hub', modelId: 'owner/missing' }, 'Downloading');
    expect(useSetup.getState().modelNote).toBeNull();
    worker.reply(errorReply(4, new BadInputError('owner/missing', null, 'not found')));
    await failing;
    expect(useSetup.getState()).toMatchObject({ model: demo, modelNote: null, modelError: { name: 'BadInputError' } });
  });
});
