/** Entry: pick the transport (preload or WebSocket) and mount the app. */
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import './styles.css';
import { createApi } from './wsApi.js';

const root = createRoot(document.getElementById('root')!);
const api = createApi();
if ('error' in api) {
  root.render(
    <div className="app"><main className="center-message"><div className="error-banner" role="alert">{api.error}</div></main></div>,
  );
} else {
  root.render(<App api={api} />);
}
