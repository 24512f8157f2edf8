import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectStores } from './state/sync';
import { pickHostLink } from './transport';
import { HostLinkProvider } from './ui/host-context';
import './styles/base.css';
import './styles/layout.css';
import './styles/connections.css';
import './styles/leases.css';
import './styles/activity.css';
import './styles/settings.css';

const link = pickHostLink();
connectStores(link);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <HostLinkProvider link={link}>
      <App />
    </HostLinkProvider>
  </StrictMode>,
);
