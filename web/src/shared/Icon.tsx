// Small inline SVG icons (elements, not markup strings: nothing for the CSP to object to).
const PATHS = {
  pencil: 'M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4',
  archive: 'M3 5h18v4H3zM5 9v10h14V9M10 13h4',
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  unarchive: 'M3 5h18v4H3zM5 9v10h14V9M12 17v-5M9.5 14.5 12 12l2.5 2.5',
  lock: 'M6 11h12v9H6zM8.5 11V7.5a3.5 3.5 0 0 1 7 0V11',
  download: 'M12 4v11M7.5 10.5 12 15l4.5-4.5M5 20h14',
  upload: 'M12 15V4M7.5 8.5 12 4l4.5 4.5M5 20h14',
  paperclip: 'M20 11.5 12.2 19.3a4.5 4.5 0 0 1-6.4-6.4l8.1-8.1a3 3 0 0 1 4.2 4.2l-8 8a1.5 1.5 0 0 1-2.1-2.1l7.3-7.3',
  file: 'M14 3H6v18h12V7zM14 3v4h4M9 13h6M9 17h6',
  image: 'M4 5h16v14H4zM4 16l4.5-4.5 4 4 2.5-2.5L20 18M15 9.5h.01',
  close: 'M6 6l12 12M18 6 6 18',
} as const;

export function Icon({ name, size = 16 }: { name: keyof typeof PATHS; size?: number }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d={PATHS[name]} />
    </svg>
  );
}
