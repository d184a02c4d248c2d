import { lazy, Suspense } from 'react';
import { ClassroomGate } from './classroom/ClassroomGate.tsx';
import { Home } from './home/Home.tsx';
import { linkClick, parseRoute, usePath, type Route } from './router.ts';

// The lab screen carries Cytoscape and xterm.js; the home page loads without them.
const LabScreen = lazy(() => import('./lab/LabScreen.tsx').then((m) => ({ default: m.LabScreen })));

export function App() {
  const route = parseRoute(usePath());
  // Classroom mode puts sign-in and its own pages in front; token mode shows the screen as is.
  return <ClassroomGate route={route}>{screen(route)}</ClassroomGate>;
}

function screen(route: Route) {
  switch (route.screen) {
    case 'home':
    case 'join':
      return <Home />;
    case 'lab':
      // Keyed by name: another lab is a fresh screen with its own socket and canvas.
      return (
        <Suspense fallback={<p className="loading">Loading the lab screen…</p>}>
          <LabScreen key={route.name} name={route.name} />
        </Suspense>
      );
    case 'missing':
    case 'class':
    case 'grid':
    case 'users':
      return (
        <main className="missing">
          <h1>Nothing at {route.screen === 'missing' ? route.path : location.pathname}</h1>
          <a href="/" onClick={linkClick('/')}>
            Go to the labs
          </a>
        </main>
      );
  }
}
