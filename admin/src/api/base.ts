// Where the API is: the directory the console's document was served from, so the same build works
// at `/` on the admin listener (`http://h:8081` + `/v1/…`) and at `/admin/` on the main listener
// (`http://h:8080/admin` + `/v1/…`). Routes live in the hash, so they never change the directory.

/** The API base URL (no trailing slash) for a document at `href`. */
export function apiBaseUrl(href: string): string {
  const dir = new URL('.', href);
  dir.hash = '';
  dir.search = '';
  return dir.href.replace(/\/+$/, '');
}

/** The API base of this page. */
export function currentApiBase(): string {
  return typeof location === 'undefined' ? 'http://localhost' : apiBaseUrl(location.href);
}
