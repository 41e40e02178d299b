/**
 * A link to a file the server exports (a report's HTML or JSON), opened in a new tab. On a loopback
 * server it is a plain link. A server beyond loopback wants the bearer token, which a link cannot send:
 * there the click fetches the file through the api client and shows it from memory (a blob: URL), so
 * the token never appears in an address or in the history.
 */
import type { MouseEvent, ReactNode } from 'react';
import { fetchServerFile, serverWantsToken, toApiError } from '../api/client';

/** How long the in-memory copy stays openable (reload, save as) after it was shown. */
const BLOB_LIFETIME_MS = 10 * 60 * 1000;

/** With pop-ups blocked there is no tab to show the file in: it is saved instead of leaving the console. */
function saveAs(url: string, href: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = decodeURIComponent(href.split('/').pop() ?? 'report');
  a.click();
}

async function openWithToken(href: string, tab: Window | null): Promise<void> {
  try {
    const url = URL.createObjectURL(await fetchServerFile(href));
    setTimeout(() => URL.revokeObjectURL(url), BLOB_LIFETIME_MS);
    if (tab) tab.location.href = url;
    else saveAs(url, href);
  } catch (err) {
    const e = toApiError(err);
    // The tab was opened on the click (a later window.open would be blocked as a pop-up); say there why.
    if (tab) tab.document.body.textContent = `Cannot open ${href}: ${e.message} (${e.code})`;
  }
}

export function ServerFileLink({ href, testId, className, children }: { href: string; testId?: string; className?: string; children: ReactNode }) {
  const onClick = (ev: MouseEvent<HTMLAnchorElement>): void => {
    if (!serverWantsToken()) return;
    ev.preventDefault();
    void openWithToken(href, window.open('', '_blank'));
  };
  return (
    <a className={className} href={href} target="_blank" rel="noreferrer" data-testid={testId} onClick={onClick}>
      {children}
    </a>
  );
}
