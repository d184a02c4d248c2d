import { lazy, Suspense } from 'react';
import { Home } from './home/Home.tsx';
import { linkClick, parseRoute, usePath } from './router.ts';

// The lab screen carries Cytoscape and xterm.js; the home page loads without them.
const LabScreen = lazy(() => import('./lab/LabScreen.tsx').then((m) => ({ default: m.LabScreen })));

export function App() {
  const route = parseRoute(usePath());
  switch (route.screen) {
    case 'home':
      return <Home />;
    case 'lab':
      // Keyed by name: another lab is a fresh screen with its own socket and canvas.
      return (
        <Suspense fallback={<p className="loading">Loading the lab screen…</p>}>
          <LabScreen key={route.name} name={route.name} />
        </Suspense>
      );
    case 'missing':
      return (
        <main className="missing">
          <h1>Nothing at {route.path}</h1>
          <a href="/" onClick={linkClick('/')}>
            Go to the labs
          </a>
        </main>
      );
  }
}
