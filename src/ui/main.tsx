import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { useApp } from './store';
import { EngineClient } from '../workers/client';
import { syncLinkWithSettings } from './state/link';
import { startEngineWorker } from './engine-worker';
import './app.css';

// The engine lives in a dedicated worker that owns the GPU; the page only sends it commands.
const worker = startEngineWorker();
void useApp.getState().start(new EngineClient(worker));
// The run's settings live in the URL (shareable); a link opened here sets the form.
syncLinkWithSettings(window.location, window.history);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
