import { useEffect, type ReactNode } from 'react';

/** Sets the tab's title for the screen shown (screen readers announce it; each screen has its own). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Visita`;
  }, [title]);
}

/**
 * A screen's card: its heading, and the tab title. `heading` defaults to the title; a screen whose
 * heading says more (a name) keeps the shorter title for the tab.
 */
export function Panel({
  title,
  heading,
  wide = false,
  children,
}: {
  title: string;
  heading?: string;
  /** Tables that need the width (the ops page). */
  wide?: boolean;
  children: ReactNode;
}) {
  useTitle(title);
  return (
    <main className={wide ? 'panel wide' : 'panel'}>
      <h1>{heading ?? title}</h1>
      {children}
    </main>
  );
}

/** What is shown while a screen's code loads (patient pages load the call code only when needed). */
export function Loading({ label }: { label: string }) {
  return (
    <main className="panel" aria-busy="true">
      <p role="status">{label}</p>
    </main>
  );
}
