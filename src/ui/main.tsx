import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { useApp } from './store';
import { EngineClient } from '../workers/client';
import './app.css';

// The engine lives in a dedicated worker that owns the GPU; the page only sends it commands.
const worker = new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module' });
void useApp.getState().start(new EngineClient(worker));

// ?bench (quick shapes) or ?bench=full, optionally &runs=N: run the kernel benchmark on load.
const params = new URLSearchParams(location.search);
const bench = params.get('bench');
const benchRequest = bench === null ? null : { quick: bench !== 'full', runs: Number(params.get('runs')) || undefined };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App bench={benchRequest} />
  </StrictMode>,
);
