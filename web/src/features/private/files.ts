// Export files out of the browser and read them back in (the user picks them).
import { exportFile, exportName, MAX_IMPORT_BYTES, parseImport, type ImportResult } from './transfer';
import { newId, type PrivateConversation } from './store';

/** Downloads conversations as one JSON file named after `what`. */
export function downloadExport(conversations: PrivateConversation[], what: string): void {
  const blob = new Blob([JSON.stringify(exportFile(conversations), null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = exportName(what);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a picked file: what can be imported and what cannot, and why. */
export async function readImport(file: File): Promise<ImportResult> {
  if (file.size > MAX_IMPORT_BYTES) {
    return { conversations: [], errors: [`${file.name} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB: not an export of private conversations.`] };
  }
  return parseImport(await file.text(), newId);
}
